import type { Opt } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Chatter } from '../../lib/index.js';

/** A plain host entity without a chatter: flushing it must not write to any thread. */
@Entity({ tableName: 'test_project' })
export class Project {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  name!: string;
}

/** The library tests' host record: tracked fields of every kind, an assignee, and one untracked field. */
@Chatter({ model: 'task', track: ['status', 'priority', 'assignee', 'done', 'dueDate', 'project'], assignee: 'assignee', primaryEmail: 'contactEmail' })
@Entity({ tableName: 'test_task' })
export class Task {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 256 })
  title!: string;

  @Property({ type: 'string', length: 32 })
  status: Opt<string> = 'open';

  @Property({ type: 'integer' })
  priority: Opt<number> = 1;

  /** the assigned user's email */
  @Property({ type: 'string', length: 320, nullable: true })
  assignee: string | null = null;

  @Property({ type: 'boolean' })
  done: Opt<boolean> = false;

  @Property({ type: 'Date', nullable: true })
  dueDate: Date | null = null;

  @ManyToOne(() => Project, { nullable: true })
  project: Project | null = null;

  /** not tracked */
  @Property({ type: 'text', nullable: true })
  notes: string | null = null;

  @Property({ type: 'string', length: 320, nullable: true })
  contactEmail: string | null = null;
}

export const TEST_ENTITIES = [Task, Project];
