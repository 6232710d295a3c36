import { Migration } from '@mikro-orm/migrations';

export class Migration20261124003655_initial extends Migration {
  override name = 'Migration20261124003655_initial';

  override up(): void {
    this.addSql("create table `chatter_partner` (`id` integer not null primary key autoincrement, `email` text not null, `name` text not null, `user_id` text null, `notification_preference` text check (`notification_preference` in ('email', 'inbox')) not null default 'email', `bounce_count` integer not null default 0, `blacklisted` integer not null default false, `active` integer not null default true, `created_at` datetime not null)");
    this.addSql("create unique index `chatter_partner_email_unique` on `chatter_partner` (`email`)");
    this.addSql("create index `chatter_partner_user_id_index` on `chatter_partner` (`user_id`)");
    this.addSql("create table `chatter_follower` (`id` integer not null primary key autoincrement, `res_model` text not null, `res_id` text not null, `partner_id` integer not null, `created_at` datetime not null, constraint `chatter_follower_partner_id_foreign` foreign key (`partner_id`) references `chatter_partner` (`id`) on delete cascade)");
    this.addSql("create index `chatter_follower_partner_id_index` on `chatter_follower` (`partner_id`)");
    this.addSql("create unique index `chatter_follower_res_model_res_id_partner_id_unique` on `chatter_follower` (`res_model`, `res_id`, `partner_id`)");
    this.addSql("create table `chatter_subtype` (`id` integer not null primary key autoincrement, `name` text not null, `internal` integer not null default false, `is_default` integer not null default false, `res_model` text null, `sequence` integer not null default 10)");
    this.addSql("create unique index `chatter_subtype_name_res_model_unique` on `chatter_subtype` (`name`, `res_model`)");
    this.addSql("create table `chatter_message` (`id` integer not null primary key autoincrement, `res_model` text not null, `res_id` text not null, `message_type` text check (`message_type` in ('comment', 'note', 'email', 'notification', 'tracking', 'activity')) not null, `subtype_id` integer null, `author_id` integer null, `email_from` text null, `subject` text null, `body` text not null default '', `preview` text not null default '', `message_id` text not null, `parent_id` integer null, `is_internal` integer not null default false, `incoming_to` json null, `incoming_cc` json null, `trimmed_body` text null, `created_at` datetime not null, constraint `chatter_message_subtype_id_foreign` foreign key (`subtype_id`) references `chatter_subtype` (`id`) on delete set null, constraint `chatter_message_author_id_foreign` foreign key (`author_id`) references `chatter_partner` (`id`) on delete set null, constraint `chatter_message_parent_id_foreign` foreign key (`parent_id`) references `chatter_message` (`id`) on delete set null)");
    this.addSql("create index `chatter_message_subtype_id_index` on `chatter_message` (`subtype_id`)");
    this.addSql("create index `chatter_message_author_id_index` on `chatter_message` (`author_id`)");
    this.addSql("create unique index `chatter_message_message_id_unique` on `chatter_message` (`message_id`)");
    this.addSql("create index `chatter_message_parent_id_index` on `chatter_message` (`parent_id`)");
    this.addSql("create index `chatter_message_thread_idx` on `chatter_message` (`res_model`, `res_id`, `id`)");
    this.addSql("create table `chatter_notification` (`id` integer not null primary key autoincrement, `message_id` integer not null, `partner_id` integer not null, `notification_type` text check (`notification_type` in ('inbox', 'email')) not null, `status` text check (`status` in ('ready', 'sent', 'bounce', 'exception', 'canceled')) not null default 'ready', `failure_type` text null, `failure_reason` text null, `is_read` integer not null default false, `read_at` datetime null, `created_at` datetime not null, constraint `chatter_notification_message_id_foreign` foreign key (`message_id`) references `chatter_message` (`id`) on delete cascade, constraint `chatter_notification_partner_id_foreign` foreign key (`partner_id`) references `chatter_partner` (`id`) on delete cascade)");
    this.addSql("create index `chatter_notification_message_id_index` on `chatter_notification` (`message_id`)");
    this.addSql("create index `chatter_notification_partner_id_index` on `chatter_notification` (`partner_id`)");
    this.addSql("create index `chatter_notification_partner_id_is_read_index` on `chatter_notification` (`partner_id`, `is_read`)");
    this.addSql("create unique index `chatter_notification_message_id_partner_id_unique` on `chatter_notification` (`message_id`, `partner_id`)");
    this.addSql("create table `chatter_attachment` (`id` integer not null primary key autoincrement, `res_model` text not null, `res_id` text not null, `message_id` integer null, `name` text not null, `mimetype` text not null default 'application/octet-stream', `size` integer not null, `content` blob null, `storage_key` text null, `cid` text null, `checksum` text not null, `created_at` datetime not null, constraint `chatter_attachment_message_id_foreign` foreign key (`message_id`) references `chatter_message` (`id`) on delete cascade)");
    this.addSql("create index `chatter_attachment_message_id_index` on `chatter_attachment` (`message_id`)");
    this.addSql("create index `chatter_attachment_res_model_res_id_index` on `chatter_attachment` (`res_model`, `res_id`)");
    this.addSql("create table `chatter_follower_subtype` (`follower_id` integer not null, `subtype_id` integer not null, primary key (`follower_id`, `subtype_id`), constraint `chatter_follower_subtype_follower_id_foreign` foreign key (`follower_id`) references `chatter_follower` (`id`) on update cascade on delete cascade, constraint `chatter_follower_subtype_subtype_id_foreign` foreign key (`subtype_id`) references `chatter_subtype` (`id`) on update cascade on delete cascade)");
    this.addSql("create index `chatter_follower_subtype_follower_id_index` on `chatter_follower_subtype` (`follower_id`)");
    this.addSql("create index `chatter_follower_subtype_subtype_id_index` on `chatter_follower_subtype` (`subtype_id`)");
    this.addSql("create table `chatter_tracking_value` (`id` integer not null primary key autoincrement, `message_id` integer not null, `field` text not null, `field_type` text not null, `old_value` json null, `new_value` json null, constraint `chatter_tracking_value_message_id_foreign` foreign key (`message_id`) references `chatter_message` (`id`) on delete cascade)");
    this.addSql("create index `chatter_tracking_value_message_id_index` on `chatter_tracking_value` (`message_id`)");
  }
}
