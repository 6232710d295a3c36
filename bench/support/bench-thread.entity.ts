import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Chatter } from '../../lib/index.js';

/** The host record the benchmarks hang their threads on. */
@Chatter({ model: 'bench_thread' })
@Entity({ tableName: 'bench_thread' })
export class BenchThread {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 256 })
  name!: string;
}
