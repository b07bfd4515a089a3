/** Does nothing: a handler for a rejection that is expected and already accounted for, or an empty callback. */
export function noop(): void {}
