import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger, type LogLevel } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { migrateChatter } from '../lib/index.js';
import { AppModule } from './app.module.js';
import { currentUserMiddleware } from './current-user.js';
import { settingsFromEnv } from './settings.js';

export async function bootstrap(env: NodeJS.ProcessEnv = process.env, options: { logger?: LogLevel[] | false } = {}) {
  const settings = settingsFromEnv(env);
  const app = await NestFactory.create(AppModule.forSettings(settings), { logger: options.logger ?? ['error', 'warn', 'log'] });
  const orm = app.get(MikroORM);
  // the chatter's tables come from its migrations; the demo's own two tables from the schema generator
  await migrateChatter(orm);
  await orm.schema.update({ safe: true });
  app.use(currentUserMiddleware);
  app.enableShutdownHooks();
  await app.listen(settings.port, '127.0.0.1');
  if (options.logger !== false) Logger.log(`sample app on http://127.0.0.1:${settings.port} (${orm.config.getDriver().constructor.name})`, 'Chatter');
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bootstrap();
}
