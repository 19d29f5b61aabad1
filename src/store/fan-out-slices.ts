/**
 * Subscriptions in one slice of a queued fan-out, and the most deliveries a publish writes itself.
 * A publish to more subscriptions commits its event and its slices, and answers; the deliveries
 * are written a slice at a time after it (sqlite/fan-outs-sql.ts, postgres/fan-outs-sql.ts). A
 * delivery row costs a page of the deliveries' subscription index for each subscription, so a
 * publish to 1,000 wrote about 1,200 pages: 10–15 ms on SQLite and 18–25 ms on PostgreSQL, and
 * two to four times as long when a checkpoint or the first writes after one landed in it.
 */
export const fanOutSlice = 100

/** `subscriptionIds` in slices of `fanOutSlice`, each as the JSON array the queue stores. */
export function fanOutSlices(subscriptionIds: string[]): string[] {
  const slices: string[] = []
  for (let i = 0; i < subscriptionIds.length; i += fanOutSlice) {
    slices.push(JSON.stringify(subscriptionIds.slice(i, i + fanOutSlice)))
  }
  return slices
}
