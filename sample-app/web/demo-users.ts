/** The agents the demo page offers in its "acting as" picker (the demo has no login: see ../current-user.ts). */
export const DEMO_USERS = [
  { email: 'agent@example.test', name: 'Agent Smith' },
  { email: 'bob@example.test', name: 'Bob Builder' },
  { email: 'carol@example.test', name: 'Carol Danvers' },
] as const;
