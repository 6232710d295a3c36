import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Message } from './message.entity.js';

export type TrackedFieldType = 'string' | 'number' | 'boolean' | 'date' | 'reference' | 'json';

/** One field's change, typed: the old and new values keep their JSON type. */
@Entity({ tableName: 'chatter_tracking_value' })
export class TrackingValue {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne(() => Message, { deleteRule: 'cascade' })
  message!: Message;

  @Property({ type: 'string', length: 128 })
  field!: string;

  @Property({ type: 'string', length: 16 })
  fieldType!: TrackedFieldType;

  @Property({ type: 'json', nullable: true })
  oldValue: unknown = null;

  @Property({ type: 'json', nullable: true })
  newValue: unknown = null;
}
