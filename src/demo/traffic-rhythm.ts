/**
 * The demo fleet's traffic shape, relative to the weekday peak: a daily cycle with its
 * trough at 04:00 (25% of peak) and its peak at 16:00, and weekends at 55% of weekdays.
 * Live traffic and back-filled history share it, so a forecast has a real rhythm to find.
 */
export function trafficRhythm(at: Date): number {
  const hour = at.getHours() + at.getMinutes() / 60;
  const daily = 0.25 + 0.75 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 4)) / 24));
  const weekend = at.getDay() === 0 || at.getDay() === 6 ? 0.55 : 1;
  return daily * weekend;
}
