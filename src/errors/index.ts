export {
  type ConfigCodeInfo,
  ERROR_CODES,
  ERRORS_CONFIG_CODES,
  type ErrorCode,
  type ErrorCodeInfo,
  type ErrorsConfigCode,
  FOREIGN_CODE_MAP,
} from './codes.js'
export { createErrorHandler, type KeelErrorHandler, PROBLEM_CONTENT_TYPE } from './handler.js'
export { HttpError, type HttpErrorOptions, isHttpError } from './http-error.js'
export { type HttpErrorFactory, httpErrors } from './http-errors.js'
export type { KeelErrorsOptions } from './options.js'
export { keelErrors, keelErrors as default } from './plugin.js'
export {
  PROBLEM_DETAILS_ID,
  ProblemDetailsSchema,
  type ProblemDocument,
  type ValidationIssue,
  type ValidationLocation,
} from './problem.js'
export {
  type ProblemDetailsRef,
  type ProblemResponseOptions,
  type ProblemResponseSchema,
  problemResponse,
  problemResponses,
} from './problem-responses.js'
export {
  type KeelProblemServerOptions,
  type ProblemServerOptions,
  problemServerOptions,
} from './server-options.js'
