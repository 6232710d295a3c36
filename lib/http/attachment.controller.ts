import { BadRequestException, Controller, Delete, Get, HttpCode, Param, Post, Res, UploadedFile, UseInterceptors, UsePipes } from '@nestjs/common';
import { ControlCharactersPipe } from './control-characters.pipe.js';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Response } from 'express';
import { AttachmentService } from '../attachment/attachment.service.js';
import { contentDisposition } from '../attachment/content-disposition.js';
import type { Attachment } from '../entities/attachment.entity.js';
import { requireInt } from './http-input.js';

/** What multer hands over for one file (memory storage). */
interface UploadedFileLike {
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

export function presentAttachment(a: Attachment) {
  return {
    id: a.id,
    name: a.name,
    mimetype: a.mimetype,
    size: a.size,
    cid: a.cid,
    checksum: a.checksum,
    messageId: a.message?.id ?? null,
    url: `/chatter/attachments/${a.id}`,
  };
}

/**
 * Attachments over HTTP. Upload first (multipart, one file in the field `file`), then post a message with
 * `attachmentIds: [id]`: the upload moves onto the message. Files above `attachments.maxBytes` get a 413.
 * Downloads are always `Content-Disposition: attachment`, `nosniff`, and sandboxed by CSP, so an uploaded HTML or SVG
 * file cannot run in the app's origin; `<img src>` still displays images.
 */
@UsePipes(ControlCharactersPipe)
@Controller('chatter')
export class AttachmentController {
  constructor(private readonly attachments: AttachmentService) {}

  @Post(':model/:id/attachments')
  @UseInterceptors(FileInterceptor('file'))
  async upload(@Param('model') model: string, @Param('id') id: string, @UploadedFile() file: UploadedFileLike | undefined) {
    if (!file?.buffer) throw new BadRequestException('send the file as multipart/form-data in the field "file"');
    const attachment = await this.attachments.upload({ model, id }, { name: file.originalname, content: file.buffer, mimetype: file.mimetype });
    return presentAttachment(attachment);
  }

  @Get(':model/:id/attachments')
  async list(@Param('model') model: string, @Param('id') id: string) {
    return (await this.attachments.list({ model, id })).map(presentAttachment);
  }

  @Get('attachments/:attachmentId')
  async download(@Param('attachmentId') attachmentId: string, @Res() res: Response) {
    const { attachment, content } = await this.attachments.open(requireInt('attachment id', attachmentId));
    send(res, attachment, content);
  }

  /** the inline image `<img src="cid:…">` of a message, for showing the message's HTML */
  @Get('messages/:messageId/inline/:cid')
  async inline(@Param('messageId') messageId: string, @Param('cid') cid: string, @Res() res: Response) {
    const { attachment, content } = await this.attachments.openInline(requireInt('message id', messageId), cid);
    send(res, attachment, content);
  }

  @Delete('attachments/:attachmentId')
  @HttpCode(204)
  async remove(@Param('attachmentId') attachmentId: string) {
    await this.attachments.remove(requireInt('attachment id', attachmentId));
  }
}

function send(res: Response, attachment: Attachment, content: Buffer): void {
  res.status(200);
  res.setHeader('Content-Type', attachment.mimetype);
  res.setHeader('Content-Length', String(content.length));
  res.setHeader('Content-Disposition', contentDisposition(attachment.name));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox");
  res.setHeader('Cache-Control', 'private, max-age=3600');
  res.setHeader('ETag', `"${attachment.checksum}"`);
  res.end(content);
}
