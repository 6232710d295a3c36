import { Migration } from '@mikro-orm/migrations';

export class Migration20261124003655_initial extends Migration {
  override name = 'Migration20261124003655_initial';

  override up(): void {
    this.addSql("create table \"chatter_partner\" (\"id\" serial primary key, \"email\" varchar(320) not null, \"name\" varchar(256) not null, \"user_id\" varchar(128) null, \"notification_preference\" text not null default 'email', \"bounce_count\" int not null default 0, \"blacklisted\" boolean not null default false, \"active\" boolean not null default true, \"created_at\" timestamptz not null)");
    this.addSql("alter table \"chatter_partner\" add constraint \"chatter_partner_email_unique\" unique (\"email\")");
    this.addSql("create index \"chatter_partner_user_id_index\" on \"chatter_partner\" (\"user_id\")");
    this.addSql("create table \"chatter_follower\" (\"id\" serial primary key, \"res_model\" varchar(128) not null, \"res_id\" varchar(64) not null, \"partner_id\" int not null, \"created_at\" timestamptz not null)");
    this.addSql("create index \"chatter_follower_partner_id_index\" on \"chatter_follower\" (\"partner_id\")");
    this.addSql("alter table \"chatter_follower\" add constraint \"chatter_follower_res_model_res_id_partner_id_unique\" unique (\"res_model\", \"res_id\", \"partner_id\")");
    this.addSql("create table \"chatter_subtype\" (\"id\" serial primary key, \"name\" varchar(128) not null, \"internal\" boolean not null default false, \"is_default\" boolean not null default false, \"res_model\" varchar(128) null, \"sequence\" int not null default 10)");
    this.addSql("alter table \"chatter_subtype\" add constraint \"chatter_subtype_name_res_model_unique\" unique (\"name\", \"res_model\")");
    this.addSql("create table \"chatter_message\" (\"id\" serial primary key, \"res_model\" varchar(128) not null, \"res_id\" varchar(64) not null, \"message_type\" text not null, \"subtype_id\" int null, \"author_id\" int null, \"email_from\" varchar(512) null, \"subject\" varchar(998) null, \"body\" text not null default '', \"preview\" varchar(256) not null default '', \"message_id\" varchar(998) not null, \"parent_id\" int null, \"is_internal\" boolean not null default false, \"incoming_to\" jsonb null, \"incoming_cc\" jsonb null, \"trimmed_body\" text null, \"created_at\" timestamptz not null)");
    this.addSql("alter table \"chatter_message\" add constraint \"chatter_message_message_id_unique\" unique (\"message_id\")");
    this.addSql("create index \"chatter_message_thread_idx\" on \"chatter_message\" (\"res_model\", \"res_id\", \"id\")");
    this.addSql("create table \"chatter_notification\" (\"id\" serial primary key, \"message_id\" int not null, \"partner_id\" int not null, \"notification_type\" text not null, \"status\" text not null default 'ready', \"failure_type\" varchar(32) null, \"failure_reason\" text null, \"is_read\" boolean not null default false, \"read_at\" timestamptz null, \"created_at\" timestamptz not null)");
    this.addSql("create index \"chatter_notification_partner_id_is_read_index\" on \"chatter_notification\" (\"partner_id\", \"is_read\")");
    this.addSql("alter table \"chatter_notification\" add constraint \"chatter_notification_message_id_partner_id_unique\" unique (\"message_id\", \"partner_id\")");
    this.addSql("create table \"chatter_attachment\" (\"id\" serial primary key, \"res_model\" varchar(128) not null, \"res_id\" varchar(64) not null, \"message_id\" int null, \"name\" varchar(512) not null, \"mimetype\" varchar(255) not null default 'application/octet-stream', \"size\" int not null, \"content\" bytea null, \"storage_key\" varchar(512) null, \"cid\" varchar(255) null, \"checksum\" varchar(64) not null, \"created_at\" timestamptz not null)");
    this.addSql("create index \"chatter_attachment_res_model_res_id_index\" on \"chatter_attachment\" (\"res_model\", \"res_id\")");
    this.addSql("create table \"chatter_follower_subtype\" (\"follower_id\" int not null, \"subtype_id\" int not null, primary key (\"follower_id\", \"subtype_id\"))");
    this.addSql("create table \"chatter_tracking_value\" (\"id\" serial primary key, \"message_id\" int not null, \"field\" varchar(128) not null, \"field_type\" varchar(16) not null, \"old_value\" jsonb null, \"new_value\" jsonb null)");
    this.addSql("alter table \"chatter_partner\" add constraint \"chatter_partner_notification_preference_check\" check (\"notification_preference\" in ('email', 'inbox'))");
    this.addSql("alter table \"chatter_follower\" add constraint \"chatter_follower_partner_id_foreign\" foreign key (\"partner_id\") references \"chatter_partner\" (\"id\") on delete cascade");
    this.addSql("alter table \"chatter_message\" add constraint \"chatter_message_subtype_id_foreign\" foreign key (\"subtype_id\") references \"chatter_subtype\" (\"id\") on delete set null");
    this.addSql("alter table \"chatter_message\" add constraint \"chatter_message_author_id_foreign\" foreign key (\"author_id\") references \"chatter_partner\" (\"id\") on delete set null");
    this.addSql("alter table \"chatter_message\" add constraint \"chatter_message_parent_id_foreign\" foreign key (\"parent_id\") references \"chatter_message\" (\"id\") on delete set null");
    this.addSql("alter table \"chatter_message\" add constraint \"chatter_message_message_type_check\" check (\"message_type\" in ('comment', 'note', 'email', 'notification', 'tracking', 'activity'))");
    this.addSql("alter table \"chatter_notification\" add constraint \"chatter_notification_message_id_foreign\" foreign key (\"message_id\") references \"chatter_message\" (\"id\") on delete cascade");
    this.addSql("alter table \"chatter_notification\" add constraint \"chatter_notification_partner_id_foreign\" foreign key (\"partner_id\") references \"chatter_partner\" (\"id\") on delete cascade");
    this.addSql("alter table \"chatter_notification\" add constraint \"chatter_notification_notification_type_check\" check (\"notification_type\" in ('inbox', 'email'))");
    this.addSql("alter table \"chatter_notification\" add constraint \"chatter_notification_status_check\" check (\"status\" in ('ready', 'sent', 'bounce', 'exception', 'canceled'))");
    this.addSql("alter table \"chatter_attachment\" add constraint \"chatter_attachment_message_id_foreign\" foreign key (\"message_id\") references \"chatter_message\" (\"id\") on delete cascade");
    this.addSql("alter table \"chatter_follower_subtype\" add constraint \"chatter_follower_subtype_follower_id_foreign\" foreign key (\"follower_id\") references \"chatter_follower\" (\"id\") on update cascade on delete cascade");
    this.addSql("alter table \"chatter_follower_subtype\" add constraint \"chatter_follower_subtype_subtype_id_foreign\" foreign key (\"subtype_id\") references \"chatter_subtype\" (\"id\") on update cascade on delete cascade");
    this.addSql("alter table \"chatter_tracking_value\" add constraint \"chatter_tracking_value_message_id_foreign\" foreign key (\"message_id\") references \"chatter_message\" (\"id\") on delete cascade");
  }
}
