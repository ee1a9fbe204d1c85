// Request and response schemas (TypeBox): they validate input, shape output (the response schema is what
// keeps fields like the password hash from ever being serialized) and document the API in OpenAPI.
import { type Static, Type } from '@sinclair/typebox'

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

// Emails may arrive with surrounding spaces and any case; they are trimmed and lowercased before use.
export const EmailSchema = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$',
  description: 'Email address; trimmed and lowercased before use.',
})
export const PasswordSchema = Type.String({ minLength: 8, maxLength: 1024 })
export const NameSchema = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' })
export const RoleSchema = Type.Union([Type.Literal('user'), Type.Literal('admin')])

export const RegisterBodySchema = Type.Object(
  { email: EmailSchema, password: PasswordSchema, name: NameSchema },
  { additionalProperties: false },
)
export const LoginBodySchema = Type.Object(
  // No length rules beyond a DoS bound: a login must not reveal the password policy of an account.
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
)
export const RefreshBodySchema = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
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
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Substring of the email or name' })),
})
