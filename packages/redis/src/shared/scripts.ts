// The Lua scripts of a Redis lock (each atomic for the reason its comment gives) and the protocol values they
// share with their callers: modes, flags and outcomes have names on both sides, never bare '0'/'1'/'2'.
import { createHash } from 'node:crypto';

/**
 * A Lua script with its SHA1, so callers send `EVALSHA` (a few bytes) and fall back to `EVAL` once after a
 * server restart emptied the script cache.
 */
export interface LockScript {
  readonly source: string;
  readonly sha: string;
}

/**
 * A fence counter that did not exist starts at the server time in ms times this: room for 1024 grants per ms
 * per name on average, far above what one Redis server can run (a few hundred scripts per ms at best).
 */
export const FENCE_EPOCH_SCALE = 1024;

/** Acquire mode (ARGV[3]): one try, never queued (`tryAcquire`, Redlock). */
export const MODE_TRY = '0';
/** Acquire mode: try, else queue at the tail (the first request of a waiting acquisition). */
export const MODE_QUEUE = '1';
/**
 * Acquire mode: a queued waiter's re-check, sent from its blocking connection: a grant is pushed to the
 * waiter's own list (which the `BLPOP` pipelined behind it pops) instead of only being returned.
 */
export const MODE_RECHECK = '2';
/** The acquire script's reply when it did not grant (held, or queued); a grant replies with the token. */
export const NOT_GRANTED = 0;

/** Release flag (ARGV[2]): a holder's release. */
export const STAY = '0';
/** Release flag: a waiter leaving the queue, giving back a grant it was handed meanwhile. */
export const LEAVE = '1';

/** Release outcome: the key holds another owner (or none): nothing was released. */
export const NOT_OURS = 0;
/** Release outcome: released, and no live waiter was queued: the key is deleted. */
export const FREED = 1;
/** Release outcome: released and handed to the next live waiter (its fence pushed to its list). */
export const HANDED_OVER = 2;
/** Release outcome with LEAVE: the waiter left the queue; it held nothing. */
export const LEFT_QUEUE = 3;

/** Extend outcome: the grant was still ours and now expires `ttlMs` from now (`PEXPIRE`'s 1). */
export const EXTENDED = 1;

/** A script with its SHA1. */
export function script(source: string): LockScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/*
 * Key layout for one lock, all under one hash tag so a lock's keys share a cluster slot:
 *   KEYS[1] = P{name}        owner id of the current grant, PX ttl
 *   KEYS[2] = P{name}:fence  counter; the current grant's token is its value (only a grant increments it),
 *                            seeded from the server clock when created (see MINT)
 *   KEYS[3] = P{name}:q      waiters, a sorted set scored by arrival sequence (FIFO, O(log n) removal)
 *   KEYS[4] = P{name}:qd     waiter -> "deadline:ttl" (server ms; a waiter that stops re-checking is dead)
 *   KEYS[1]..':w:'..id       one list per waiter: the releaser pushes the new fence there, the waiter BLPOPs
 */

/** Server time in ms (scripts replicate by effects in Redis 7, so TIME is allowed). Shared with mode-scripts.ts. */
export const NOW = `local function now_ms() local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000) end
`;

/**
 * 2^53: below it a Lua number (a double) holds an integer exactly, and a double below it was rounded from an
 * integer below it, so INCR's reply is the exact value; at or above it the text is read back with GET.
 */
const EXACT_IN_LUA = '9007199254740992';

/**
 * Mints the next fencing token. Returns it as a number below 2^53 (answered as an exact integer reply) and as
 * text from 2^53 on: Lua numbers are doubles, so the counter's value is then read back with GET rather than
 * taken from INCR's reply. `fence_text` gives the text for a list (never a Lua number's own formatting). A counter that did not exist (a
 * first grant, a restart without persistence, an expired counter) starts at the server time in ms x 1024
 * (FENCE_EPOCH_SCALE), so it starts above any token an earlier counter of the name could have minted, as long
 * as that one minted fewer than 1024 tokens per ms on average and the server clock did not go back by more
 * than the counter's age (see the README). That is below 2^53 until the year 2248. 'retain' > 0: the counter
 * expires that many ms after the end of the grant's TTL, and is refreshed by every grant and renewal.
 */
export const MINT = `local function mint(ttl, retain)
  local fence = redis.call('INCR', KEYS[2])
  if fence == 1 then
    local t = redis.call('TIME')
    fence = (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) * ${FENCE_EPOCH_SCALE}
    redis.call('SET', KEYS[2], string.format('%.0f', fence))
  end
  if retain > 0 then redis.call('PEXPIRE', KEYS[2], tonumber(ttl) + retain) end
  if fence < ${EXACT_IN_LUA} then return fence end
  return redis.call('GET', KEYS[2])
end
local function fence_text(fence)
  if type(fence) == 'number' then return string.format('%.0f', fence) end
  return fence
end
`;

/**
 * Hands the free lock to the first live waiter: sets the key to its owner id with its TTL, mints its fence
 * and pushes the fence to its list, so the woken waiter owns the lock without another round trip. Dead
 * waiters (deadline passed) met on the way are dropped. Returns the new holder or nil.
 */
const HANDOFF = `local function handoff(skip, retain)
  if redis.call('EXISTS', KEYS[3]) == 0 then return nil end
  local now = now_ms()
  while true do
    local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if not head or head == skip then return nil end
    local info = redis.call('HGET', KEYS[4], head)
    redis.call('ZREM', KEYS[3], head)
    redis.call('HDEL', KEYS[4], head)
    local wkey = KEYS[1] .. ':w:' .. head
    local deadline, ttl = string.match(info or '', '^(%d+):(%d+)$')
    if deadline and tonumber(deadline) >= now then
      redis.call('SET', KEYS[1], head, 'PX', ttl)
      redis.call('RPUSH', wkey, fence_text(mint(ttl, retain)))
      redis.call('PEXPIRE', wkey, ttl)
      return head
    end
    redis.call('DEL', wkey)
  end
end
`;

/** Queues a waiter at the tail (once) and sets its deadline: `life` ms from now; `ttl` is what it will be granted. */
const ENQUEUE = `local function enqueue(who, life, ttl)
  if not redis.call('ZSCORE', KEYS[3], who) then
    local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2]
    redis.call('ZADD', KEYS[3], last and (tonumber(last) + 1) or 1, who)
  end
  redis.call('HSET', KEYS[4], who, (now_ms() + tonumber(life)) .. ':' .. ttl)
end
`;

/**
 * Acquire, atomic because grant (SET NX PX) and fence (INCR) must be one step: a token is minted exactly
 * for the grant it belongs to, and the current holder's token is the counter's value.
 * ARGV: owner, ttlMs, mode (MODE_TRY, MODE_QUEUE, MODE_RECHECK), waiterLifeMs, fenceRetentionMs (0: the
 * counter is kept forever).
 * Returns the token when granted (see MINT), NOT_GRANTED when not. Idempotent for ioredis resends: when the key already
 * holds this owner, the grant is ours (its TTL is renewed from now, so the caller may count validity from this
 * call's send time) and the same fence is returned. A queued waiter is queued once; a re-check only refreshes
 * its deadline.
 */
export const ACQUIRE = script(`${NOW}${MINT}${HANDOFF}${ENQUEUE}
local owner, ttl, mode, retain = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[5]) or 0
local wkey = KEYS[1] .. ':w:' .. owner
local function granted(fence)
  if mode == '${MODE_RECHECK}' and redis.call('LLEN', wkey) == 0 then
    redis.call('RPUSH', wkey, fence_text(fence))
    redis.call('PEXPIRE', wkey, ttl)
  end
  return fence
end
local holder
if redis.call('EXISTS', KEYS[3]) == 0 then
  if redis.call('SET', KEYS[1], owner, 'NX', 'PX', ttl) then return granted(mint(ttl, retain)) end
  holder = redis.call('GET', KEYS[1])
else
  holder = redis.call('GET', KEYS[1])
  if not holder then
    holder = handoff(owner, retain)
    if not holder then
      redis.call('SET', KEYS[1], owner, 'PX', ttl)
      redis.call('ZREM', KEYS[3], owner)
      redis.call('HDEL', KEYS[4], owner)
      return granted(mint(ttl, retain))
    end
  end
end
if holder == owner then
  redis.call('PEXPIRE', KEYS[1], ttl)
  if retain > 0 then redis.call('PEXPIRE', KEYS[2], tonumber(ttl) + retain) end
  return granted(redis.call('GET', KEYS[2]))
end
if mode == '${MODE_TRY}' then return ${NOT_GRANTED} end
enqueue(owner, ARGV[4], ttl)
return ${NOT_GRANTED}
`);

/**
 * Release, atomic because the owner check and the delete (or handoff) must be one step: a holder whose
 * grant expired never deletes the next holder's key. ARGV: owner, STAY or LEAVE (LEAVE also removes the owner's
 * queue entry and list: a waiter that gave up, which may have been handed the lock meanwhile), fenceRetentionMs (for
 * the token minted by a handoff; 0: kept forever), and optionally a place to keep (ARGV[4] owner id, ARGV[5]
 * waiterLifeMs, ARGV[6] ttl): when the lock is handed on, that new owner id is queued at the tail in the same
 * step, so a releaser that acquires again at once needs only its `BLPOP`.
 * Returns NOT_OURS, FREED, HANDED_OVER or LEFT_QUEUE (a LEAVE that held nothing).
 */
export const RELEASE = script(`${NOW}${MINT}${HANDOFF}${ENQUEUE}
local owner = ARGV[1]
if ARGV[2] == '${LEAVE}' then
  redis.call('ZREM', KEYS[3], owner)
  redis.call('HDEL', KEYS[4], owner)
  redis.call('DEL', KEYS[1] .. ':w:' .. owner)
end
if redis.call('GET', KEYS[1]) ~= owner then return ARGV[2] == '${LEAVE}' and ${LEFT_QUEUE} or ${NOT_OURS} end
if handoff(nil, tonumber(ARGV[3]) or 0) then
  if ARGV[4] and ARGV[4] ~= '' then enqueue(ARGV[4], ARGV[5], ARGV[6]) end
  return ${HANDED_OVER}
end
redis.call('DEL', KEYS[1])
return ${FREED}
`);

/**
 * Extend, atomic compare-and-pexpire: an expired grant is never recreated. KEYS: lock, fence. ARGV: owner,
 * ttlMs, fenceRetentionMs (> 0: the fence counter's expiry is pushed out with the grant's). Returns EXTENDED or
 * NOT_OURS.
 */
export const EXTEND = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  local retain = tonumber(ARGV[3]) or 0
  if retain > 0 then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) + retain) end
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return ${NOT_OURS}
`);

/** The body of STATUS, shared with the status of a name's every primitive (mode-scripts.ts). */
export const LOCK_STATUS = `local function lock_status(limit)
  local listed = limit > 0 and redis.call('ZRANGE', KEYS[3], 0, limit - 1) or {}
  local deadlines = {}
  for index, who in ipairs(listed) do deadlines[index] = redis.call('HGET', KEYS[4], who) or false end
  return { redis.call('GET', KEYS[1]) or false, redis.call('GET', KEYS[2]) or false, redis.call('PTTL', KEYS[1]),
    redis.call('ZCARD', KEYS[3]), now_ms(), listed, deadlines }
end
`;

/**
 * One consistent snapshot for `status()`, read in one step so holder, token and queue agree. ARGV: how many
 * waiters to list. Returns holder (or false), fence (or false), PTTL, queue length, server time in ms, the first
 * waiters in grant order, and each one's "deadline:ttl" (a waiter whose deadline has passed is skipped by the
 * next handoff).
 */
export const STATUS = script(`${NOW}${LOCK_STATUS}
return lock_status(tonumber(ARGV[1]))
`);
