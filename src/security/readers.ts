// The validators of the security plugin's options, in the one message shape of src/internal/options.ts.
import { optionsReader } from '../internal/options.js'

/** The validators and error constructors of this plugin's options. */
export const read = optionsReader('security', 'KEEL_ERR_SECURITY_INVALID_OPTION')
