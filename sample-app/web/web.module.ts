import { Module } from '@nestjs/common';
import { AssetsController } from './assets.controller.js';
import { WebController } from './web.controller.js';

/** The demo's web page: the ticket list and a ticket with its chatter (see docs: web). */
@Module({ controllers: [WebController, AssetsController] })
export class WebModule {}
