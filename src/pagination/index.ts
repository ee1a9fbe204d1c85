import type { KeelPaginationDecorator } from './plugin.js'

export {
  PAGINATION_CONFIG_CODES,
  PAGINATION_ERROR_CODES,
  type PaginationConfigCode,
  type PaginationErrorCode,
} from './codes.js'
export {
  type CursorSecret,
  type CursorValue,
  type CursorValues,
  type CursorValuesOf,
  type CursorValueType,
  type DecodeCursorOptions,
  decodeCursor,
  type EncodeCursorOptions,
  encodeCursor,
} from './cursor.js'
export {
  type CursorPageOptions,
  type CursorPaginatedResult,
  type CursorPaginationMetaValue,
  cursorPage,
  type OffsetPosition,
  type PaginatedResult,
  type PaginationMetaValue,
  paginate,
} from './envelope.js'
export { type CursorLinkInput, type LinkQuery, linkHeader, type OffsetLinkInput } from './link-header.js'
export type { KeelPaginationOptions } from './options.js'
export { default, type KeelPaginationDecorator, keelPagination } from './plugin.js'
export {
  CursorPaginated,
  type CursorPaginatedSchema,
  CursorPaginationMeta,
  type CursorPaginationMetaSchema,
  CursorPaginationQuery,
  type CursorQueryOptions,
  type CursorQuerySchema,
  cursorQuery,
  OffsetPaginationQuery,
  type OffsetQueryOptions,
  type OffsetQuerySchema,
  offsetQuery,
  Paginated,
  type PaginatedSchema,
  PaginationMeta,
  type PaginationMetaSchema,
} from './schemas.js'
export {
  parseSort,
  type SortAllowlist,
  type SortQueryOptions,
  type SortQuerySchema,
  type SortTerm,
  sortQuery,
} from './sort.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Cursor helpers bound to `keelPagination`'s `cursorSecret`. @see docs/pagination.md */
    pagination: KeelPaginationDecorator
  }
}
