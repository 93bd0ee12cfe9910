/**
 * For processes started by a local supervisor (the `npm start` launcher, the dispatcher's local
 * scaler) over an IPC channel: when the channel closes the supervisor is gone — even SIGKILLed,
 * when it could not signal anyone — so the process runs `onOrphaned` (its usual graceful stop)
 * instead of living on as an orphan that holds ports and runs. Does nothing without a channel
 * (ECS, a shell), and the channel never keeps the process alive by itself.
 */
export function stopWhenParentExits(onOrphaned: () => void): void {
  if (typeof process.send !== 'function' || !process.channel) return;
  process.channel.unref();
  process.once('disconnect', onOrphaned);
}
