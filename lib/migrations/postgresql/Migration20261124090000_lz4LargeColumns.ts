import { Migration } from '@mikro-orm/migrations';

/**
 * The large columns (raw mails, attachment bytes, mail bodies) compress with lz4 instead of pglz: pglz spent ~200 ms
 * of the database's CPU on the corpus's 19 MB of raw mail, lz4 a fraction of it, for a little less compression. Needs
 * PostgreSQL 14 built with lz4 (the usual packages are); elsewhere the columns keep pglz, and nothing else changes.
 */
export class Migration20261124090000_lz4LargeColumns extends Migration {
  override name = 'Migration20261124090000_lz4LargeColumns';

  override up(): void {
    this.addSql(`do $$
begin
  if current_setting('server_version_num')::int >= 140000 then
    alter table "chatter_inbound_email" alter column "raw" set compression lz4;
    alter table "chatter_attachment" alter column "content" set compression lz4;
    alter table "chatter_message" alter column "body" set compression lz4;
    alter table "chatter_message" alter column "trimmed_body" set compression lz4;
  end if;
exception when others then
  raise notice 'nestjs-chatter: lz4 compression not available (%), the large columns keep pglz', sqlerrm;
end
$$`);
  }
}
