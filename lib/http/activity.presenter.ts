import type { ActivityType } from '../entities/activity-type.entity.js';
import type { PlannedActivity } from '../activity/activity.service.js';

/** The JSON shape of an activity in the HTTP API. */
export interface ActivityView {
  id: number;
  model: string;
  resId: string;
  type: { id: number; name: string };
  summary: string | null;
  note: string;
  deadline: string;
  state: 'overdue' | 'today' | 'planned';
  daysLeft: number;
  assignee: { id: number; name: string; email: string };
  createdBy: { id: number; name: string; email: string } | null;
  createdAt: string;
}

export function presentActivity({ activity: a, state, daysLeft }: PlannedActivity): ActivityView {
  return {
    id: a.id,
    model: a.resModel,
    resId: a.resId,
    type: { id: a.activityType.id, name: a.activityType.name },
    summary: a.summary,
    note: a.note,
    deadline: a.deadline,
    state,
    daysLeft,
    assignee: { id: a.assignee.id, name: a.assignee.name, email: a.assignee.email },
    createdBy: a.createdBy ? { id: a.createdBy.id, name: a.createdBy.name, email: a.createdBy.email } : null,
    createdAt: a.createdAt.toISOString(),
  };
}

export function presentActivityType(t: ActivityType) {
  return { id: t.id, name: t.name, summary: t.summary, delayDays: t.delayDays, model: t.resModel };
}
