export { HttpError, type HttpErrorOptions, isHttpError } from './http-error.js'
export { type HttpErrorFactory, httpErrors } from './http-errors.js'
