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

function script(source: string): LockScript {
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

/** Server time in ms (scripts replicate by effects in Redis 7, so TIME is allowed). */
const NOW = `local function now_ms() local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000) end
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
const MINT = `local function mint(ttl, retain)
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

/** Acquire script modes (ARGV[3]): try once; try, else queue; re-check from the waiter's blocking connection. */
export const MODE_TRY = '0';
export const MODE_QUEUE = '1';
export const MODE_RECHECK = '2';

/**
 * Acquire, atomic because grant (SET NX PX) and fence (INCR) must be one step: a token is minted exactly
 * for the grant it belongs to, and the current holder's token is the counter's value.
 * ARGV: owner, ttlMs, mode ('0' try, '1' try then queue, '2' re-check from the blocking connection: the
 * result goes to the waiter's own list, which the BLPOP pipelined behind it pops), waiterLifeMs,
 * fenceRetentionMs (0: the counter is kept forever).
 * Returns the token when granted (see MINT), 0 when not. Idempotent for ioredis resends: when the key already
 * holds this owner, the grant is ours (its TTL is renewed from now, so the caller may count validity from this
 * call's send time) and the same fence is returned. A queued waiter is queued once; a re-check only refreshes
 * its deadline.
 */
export const ACQUIRE = script(`${NOW}${MINT}${HANDOFF}${ENQUEUE}
local owner, ttl, mode, retain = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[5]) or 0
local wkey = KEYS[1] .. ':w:' .. owner
local function granted(fence)
  if mode == '2' and redis.call('LLEN', wkey) == 0 then
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
if mode == '0' then return 0 end
enqueue(owner, ARGV[4], ttl)
return 0
`);

/** Release script ARGV[2]: a holder's release; a waiter leaving the queue (and giving back a grant it was handed). */
export const STAY = '0';
export const LEAVE = '1';

/**
 * Release, atomic because the owner check and the delete (or handoff) must be one step: a holder whose
 * grant expired never deletes the next holder's key. ARGV: owner, leave ('1' also removes the owner's queue
 * entry and list: a waiter that gave up, which may have been handed the lock meanwhile), fenceRetentionMs (for
 * the token minted by a handoff; 0: kept forever), and optionally a place to keep (ARGV[4] owner id, ARGV[5]
 * waiterLifeMs, ARGV[6] ttl): when the lock is handed on, that new owner id is queued at the tail in the same
 * step, so a releaser that acquires again at once needs only its `BLPOP`.
 * Returns 0 (not ours), 1 (released, no waiter), 2 (handed to the next waiter), 3 (left the queue only).
 */
export const RELEASE = script(`${NOW}${MINT}${HANDOFF}${ENQUEUE}
local owner = ARGV[1]
if ARGV[2] == '1' then
  redis.call('ZREM', KEYS[3], owner)
  redis.call('HDEL', KEYS[4], owner)
  redis.call('DEL', KEYS[1] .. ':w:' .. owner)
end
if redis.call('GET', KEYS[1]) ~= owner then return ARGV[2] == '1' and 3 or 0 end
if handoff(nil, tonumber(ARGV[3]) or 0) then
  if ARGV[4] and ARGV[4] ~= '' then enqueue(ARGV[4], ARGV[5], ARGV[6]) end
  return 2
end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * Extend, atomic compare-and-pexpire: an expired grant is never recreated. KEYS: lock, fence. ARGV: owner,
 * ttlMs, fenceRetentionMs (> 0: the fence counter's expiry is pushed out with the grant's).
 */
export const EXTEND = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  local retain = tonumber(ARGV[3]) or 0
  if retain > 0 then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) + retain) end
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/** One consistent snapshot for `status()`: holder, current fence, PTTL, queued waiters. */
export const STATUS =
  script(`return { redis.call('GET', KEYS[1]) or false, redis.call('GET', KEYS[2]) or false,
  redis.call('PTTL', KEYS[1]), redis.call('ZCARD', KEYS[3]) }
`);
