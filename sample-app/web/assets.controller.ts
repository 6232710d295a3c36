import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/**
 * The page's static files (sample-app/web/public). tsc does not copy them into dist/, so from dist/ the folder is
 * found back in the source tree.
 */
function publicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'public'), join(here, '..', '..', '..', 'sample-app', 'web', 'public')];
  const found = candidates.find((dir) => existsSync(join(dir, 'app.css')));
  if (!found) throw new Error(`the web page's static files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

@Controller('web/assets')
export class AssetsController {
  private readonly dir = publicDir();
  /** only files that are there at boot are served: no path from the URL ever reaches the file system */
  private readonly files = new Set(readdirSync(this.dir).filter((name) => TYPES[extname(name)]));

  @Get(':name')
  asset(@Param('name') name: string, @Res() res: Response) {
    if (!this.files.has(name)) throw new NotFoundException(`no asset ${name}`);
    res.setHeader('Content-Type', TYPES[extname(name)]);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(this.dir, name));
  }
}
