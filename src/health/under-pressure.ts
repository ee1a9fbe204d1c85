import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { HttpError } from '../errors/http-error.js'
import { TEMPORARY_REDUCED_CAPACITY_TYPE } from '../internal/problem-types.js'
import { type ResolvedHealthOptions, read } from './options.js'

function overloadedErrorClass(retryAfter: number) {
  const options = {
    code: 'SERVICE_OVERLOADED',
    type: TEMPORARY_REDUCED_CAPACITY_TYPE,
    expose: true,
    // Shedding is deliberate: one short warn line per refused request, no stack.
    operational: true,
    headers: { 'retry-after': String(retryAfter) },
    extensions: { retryAfter },
  }
  // under-pressure builds one instance at register time and reuses it for every shed request.
  return class ServiceOverloadedError extends HttpError {
    constructor() {
      super(503, 'The service is overloaded; retry later', options)
    }
  }
}

/** Registers `@fastify/under-pressure` with keel's limits and its SERVICE_OVERLOADED error, unless turned off. */
export async function registerUnderPressure(app: FastifyInstance, config: ResolvedHealthOptions): Promise<void> {
  const limits = config.underPressure
  if (limits === false) return
  if (app.hasDecorator('isUnderPressure')) {
    throw read.misuse(
      'KEEL_ERR_HEALTH_UNDER_PRESSURE_CONFLICT',
      '@fastify/under-pressure is already registered, and keelHealth registers it itself',
      'pass its limits as the "underPressure" option, or set "underPressure: false" to keep your own registration',
    )
  }
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelay,
    maxEventLoopUtilization: limits.maxEventLoopUtilization,
    eventLoopUtilizationMode: 'interval',
    maxHeapUsedBytes: limits.maxHeapUsedBytes,
    maxRssBytes: limits.maxRssBytes,
    retryAfter: limits.retryAfter,
    sampleInterval: limits.sampleInterval,
    customError: overloadedErrorClass(limits.retryAfter),
    ...(limits.pressureHandler === undefined ? {} : { pressureHandler: limits.pressureHandler }),
    exposeStatusRoute: false,
  })
}
