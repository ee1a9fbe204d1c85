// Request and response schemas (TypeBox): they validate input, shape output (the response schema is what
// keeps fields like the password hash from ever being serialized) and document the API in OpenAPI.
import { type Static, type TStringOptions, Type } from 'typebox'

/** A user as the API returns it. */
export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String({ format: 'email' }),
    name: Type.String(),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, description: 'A user account. Never includes the password hash.' },
)
export type UserResponse = Static<typeof UserSchema>

/** `{ user }`: the envelope of every single-user response. */
export const UserEnvelopeSchema = Type.Object({ user: UserSchema }, { additionalProperties: false })

// PostgreSQL text cannot hold a NUL character (U+0000): a query carrying one fails with SQLSTATE 22021.
// Every string that reaches SQL refuses it in its schema, so such a request is a 400 VALIDATION_FAILED
// (the db layer maps any data exception that still gets through to a 400 INVALID_VALUE). Ajv compiles
// patterns with the `u` flag, where `\u0000` in the pattern is the NUL character.
const NO_NUL = '^[^\\u0000]*$'

/** A string that can be stored in PostgreSQL: like `Type.String(options)`, but a NUL character is refused. */
export function SafeText(options: Omit<TStringOptions, 'pattern'> = {}) {
  return Type.String({ ...options, pattern: NO_NUL })
}

// Emails may arrive with surrounding spaces and any case; they are trimmed and lowercased before use.
export const EmailSchema = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^\\s*[^\\s@\\u0000]+@[^\\s@\\u0000]+\\.[^\\s@\\u0000]+\\s*$',
  description: 'Email address; trimmed and lowercased before use.',
})
export const PasswordSchema = Type.String({ minLength: 8, maxLength: 1024 })
// Not blank, and no NUL: leading spaces, then a character that is neither space nor NUL, then anything but NUL.
export const NameSchema = Type.String({ minLength: 1, maxLength: 100, pattern: '^\\s*[^\\s\\u0000][^\\u0000]*$' })
export const RoleSchema = Type.Union([Type.Literal('user'), Type.Literal('admin')])

export const RegisterBodySchema = Type.Object(
  { email: EmailSchema, password: PasswordSchema, name: NameSchema },
  { additionalProperties: false },
)
export const LoginBodySchema = Type.Object(
  {
    // No length rules beyond a DoS bound: a login must not reveal the password policy of an account.
    email: SafeText({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    device: Type.Optional(
      SafeText({
        minLength: 1,
        maxLength: 64,
        description: 'A name for this device in the sessions list, e.g. "Ada\'s laptop"',
      }),
    ),
  },
  { additionalProperties: false },
)
const RefreshTokenSchema = Type.String({ minLength: 1, maxLength: 512 })
export const RefreshBodySchema = Type.Object({ refreshToken: RefreshTokenSchema }, { additionalProperties: false })
/** Logout needs no refresh token (`{}` ends the access token's session); one sent is revoked too. */
export const LogoutBodySchema = Type.Object(
  { refreshToken: Type.Optional(RefreshTokenSchema) },
  { additionalProperties: false },
)
export const UpdateMeBodySchema = Type.Object({ name: Type.Optional(NameSchema) }, { additionalProperties: false })
export const ChangePasswordBodySchema = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 1024 }), newPassword: PasswordSchema },
  { additionalProperties: false },
)
export const AdminUpdateBodySchema = Type.Object(
  { name: Type.Optional(NameSchema), role: Type.Optional(RoleSchema) },
  { additionalProperties: false },
)
export const UserIdParamsSchema = Type.Object(
  { id: Type.String({ format: 'uuid', description: 'User id (UUID)' }) },
  { additionalProperties: false },
)
export const SearchQuerySchema = Type.Object({
  q: Type.Optional(SafeText({ minLength: 1, maxLength: 100, description: 'Substring of the email or name' })),
})
