import type { Provider } from '@nestjs/common';
import { MULTER_MODULE_OPTIONS } from '@nestjs/platform-express/multer/files.constants.js';
import { ChatterConfig } from '../chatter.config.js';

/**
 * multer's options for the chatter's upload route, from the config: `FileInterceptor` reads them from the module that
 * declares the controller, so they apply to the chatter's routes only, never to the host's own uploads.
 * Over the limit, multer stops reading and Nest answers 413.
 */
export const uploadLimitsProvider: Provider = {
  provide: MULTER_MODULE_OPTIONS,
  // browsers send file names as raw UTF-8 in the part header; busboy's default reads them as latin1
  useFactory: (config: ChatterConfig) => ({ limits: { fileSize: config.attachments.maxBytes, files: 1 }, defParamCharset: 'utf8' }),
  inject: [ChatterConfig],
};
