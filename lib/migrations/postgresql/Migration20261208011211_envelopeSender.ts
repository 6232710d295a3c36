import { Migration } from '@mikro-orm/migrations';

/** The ledger keeps the envelope sender and the client IP an ingress knows (what SPF is checked against). */
export class Migration20261208011211_envelopeSender extends Migration {
  override name = 'Migration20261208011211_envelopeSender';

  override up(): void {
    this.addSql("alter table \"chatter_inbound_email\" add \"envelope_from\" varchar(998) null, add \"client_ip\" varchar(64) null");
  }
}
