import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ChatterModuleExtras, ChatterModuleOptions } from './chatter.options.js';

export const {
  ConfigurableModuleClass: ChatterConfigurableModule,
  MODULE_OPTIONS_TOKEN: CHATTER_OPTIONS,
  OPTIONS_TYPE: CHATTER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CHATTER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ChatterModuleOptions>({ moduleName: 'Chatter' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createChatterOptions')
  .setExtras<ChatterModuleExtras>({ isGlobal: true, http: false, queue: undefined }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? true,
  }))
  .build();
