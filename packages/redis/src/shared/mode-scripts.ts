// The Lua scripts of the read-write lock and the semaphore: one lock with many holders, each holding a grant of
// one kind. They keep the exclusive lock's protocol (its modes, flags and outcomes, its waiter lists and push
// wake-up, its fence counter), so the waiting and releasing code of the exclusive lock runs them unchanged.
import {
  EXTENDED,
  FREED,
  HANDED_OVER,
  LEAVE,
  LEFT_QUEUE,
  LOCK_STATUS,
  type LockScript,
  MINT,
  MODE_RECHECK,
  MODE_TRY,
  NOT_GRANTED,
  NOT_OURS,
  NOW,
  script,
} from './scripts.js';

/**
 * Prefix of a holder's grant-time field in the state hash (`GRANTED_AT` + owner id -> server ms). Owner ids
 * never contain `:`, so it cannot meet an owner's own field.
 */
export const GRANTED_AT = 'at:';

/** Grant kind (acquire ARGV[6]): a reader of a read-write lock, shared with other readers. */
export const KIND_READ = 'r';
/** Grant kind: the writer of a read-write lock, alone. */
export const KIND_WRITE = 'w';
/** Grant kind: one permit of a semaphore, shared with at most `permits - 1` others. */
export const KIND_PERMIT = 'p';
/** A grant kind the mode scripts take. */
export type GrantKind = typeof KIND_READ | typeof KIND_WRITE | typeof KIND_PERMIT;

/*
 * Key layout of one read-write lock or semaphore (all under the name's hash tag, so they share a slot with the
 * exclusive lock of the name, whose fence counter they use):
 *   KEYS[1] = holders   sorted set owner -> expiry (server ms); a member whose score has passed is dead and is
 *                       reaped by the next script that runs (no timer, no polling)
 *   KEYS[2] = fence     the name's fence counter, the same key as the exclusive lock's
 *   KEYS[3] = queue     waiters, scored by arrival sequence (FIFO across kinds)
 *   KEYS[4] = deadlines waiter -> "deadline:ttl:kind" (server ms)
 *   KEYS[5] = state     hash: 'mode' (the kind of the current holders), 'permits' (a semaphore's limit, which
 *                       every holder and waiter must share), owner -> its token, and GRANTED_AT..owner -> the
 *                       server time in ms of its grant (for status ages; set and deleted by the same HSET and
 *                       HDEL as its token, so it costs no command)
 *   KEYS[1]..':w:'..id  one list per waiter, where a handoff pushes its token (it BLPOPs there)
 * Every key but the counter is deleted once nobody holds or waits, and each carries an expiry no earlier than
 * its latest holder's or waiter's, so a name whose every participant died costs nothing after their TTLs.
 */
const STATE = `
local function outlive(key, at)
  if redis.call('PEXPIRETIME', key) < at then redis.call('PEXPIREAT', key, at) end
end
local function reap(now)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  if #dead == 0 then return end
  for _, who in ipairs(dead) do redis.call('HDEL', KEYS[5], who, '${GRANTED_AT}' .. who) end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
end
local function fits(kind, permits)
  local held = redis.call('ZCARD', KEYS[1])
  if held == 0 then return true end
  if kind == '${KIND_PERMIT}' then return held < permits end
  return kind == '${KIND_READ}' and redis.call('HGET', KEYS[5], 'mode') == '${KIND_READ}'
end
local function grant(who, kind, ttl, now, retain)
  local expiry = now + tonumber(ttl)
  redis.call('ZADD', KEYS[1], expiry, who)
  local fence = fence_text(mint(ttl, 0))
  if retain > 0 then outlive(KEYS[2], expiry + retain) end
  redis.call('HSET', KEYS[5], who, fence, '${GRANTED_AT}' .. who, now, 'mode', kind)
  outlive(KEYS[1], expiry)
  outlive(KEYS[5], expiry)
  return fence
end
local function handoff(now, retain)
  local granted = 0
  local permits = tonumber(redis.call('HGET', KEYS[5], 'permits') or '0')
  while true do
    local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if not head then return granted end
    local deadline, ttl, kind = string.match(redis.call('HGET', KEYS[4], head) or '', '^(%d+):(%d+):(%a)$')
    local alive = deadline and tonumber(deadline) >= now
    if alive and not fits(kind, permits) then return granted end
    redis.call('ZREM', KEYS[3], head)
    redis.call('HDEL', KEYS[4], head)
    local wkey = KEYS[1] .. ':w:' .. head
    if alive then
      redis.call('RPUSH', wkey, grant(head, kind, ttl, now, retain))
      redis.call('PEXPIRE', wkey, ttl)
      granted = granted + 1
    else
      redis.call('DEL', wkey)
    end
  end
end
local function enqueue(who, life, ttl, kind, now)
  if not redis.call('ZSCORE', KEYS[3], who) then
    local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2]
    redis.call('ZADD', KEYS[3], last and (tonumber(last) + 1) or 1, who)
  end
  local deadline = now + tonumber(life)
  redis.call('HSET', KEYS[4], who, deadline .. ':' .. ttl .. ':' .. kind)
  outlive(KEYS[3], deadline)
  outlive(KEYS[4], deadline)
  outlive(KEYS[5], deadline)
end
local function tidy()
  if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[3]) == 0 then
    redis.call('DEL', KEYS[4], KEYS[5])
  end
end
`;

/**
 * Acquire, atomic because the check that a grant fits (no writer, fewer than `permits` holders, nobody queued
 * ahead), the grant and its token must be one step. ARGV: owner, ttlMs, mode (MODE_TRY, MODE_QUEUE, MODE_RECHECK),
 * waiterLifeMs, fenceRetentionMs (0: kept forever), kind (KIND_READ, KIND_WRITE, KIND_PERMIT), permits (a
 * semaphore's). Expired holders are reaped first, and the queue's heads that now fit are handed their grants.
 * Returns the token (text) when granted, NOT_GRANTED when not (queued unless MODE_TRY), or minus the permits of
 * the name's holders and waiters when a semaphore's `permits` differ from theirs (nothing is queued then).
 * Idempotent for resends as the exclusive acquire is: a holder gets its own token back, its TTL renewed from now.
 */
export const ACQUIRE_MODE: LockScript = script(`${NOW}${MINT}${STATE}
local owner, ttl, mode, life, retain = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]) or 0
local kind, permits = ARGV[6], tonumber(ARGV[7]) or 0
local wkey = KEYS[1] .. ':w:' .. owner
local now = now_ms()
local function granted(fence)
  if mode == '${MODE_RECHECK}' and redis.call('LLEN', wkey) == 0 then
    redis.call('RPUSH', wkey, fence)
    redis.call('PEXPIRE', wkey, ttl)
  end
  return fence
end
reap(now)
handoff(now, retain)
if kind == '${KIND_PERMIT}' then
  local existing = tonumber(redis.call('HGET', KEYS[5], 'permits') or '')
  if existing ~= permits then
    if existing and (redis.call('ZCARD', KEYS[1]) > 0 or redis.call('ZCARD', KEYS[3]) > 0) then
      return -existing
    end
    redis.call('HSET', KEYS[5], 'permits', permits)
  end
end
local token = redis.call('HGET', KEYS[5], owner)
if token and redis.call('ZSCORE', KEYS[1], owner) then
  local expiry = now + tonumber(ttl)
  redis.call('ZADD', KEYS[1], 'XX', expiry, owner)
  outlive(KEYS[1], expiry)
  outlive(KEYS[5], expiry)
  if retain > 0 then outlive(KEYS[2], expiry + retain) end
  return granted(token)
end
if redis.call('ZCARD', KEYS[3]) == 0 and fits(kind, permits) then
  return granted(grant(owner, kind, ttl, now, retain))
end
if mode == '${MODE_TRY}' then
  tidy()
  return ${NOT_GRANTED}
end
enqueue(owner, life, ttl, kind, now)
return ${NOT_GRANTED}
`);

/**
 * Release, atomic because the owner check, the removal and the handoff must be one step: a holder whose grant
 * expired never removes another's, and every waiter at the head that fits now is granted (several readers, or
 * as many permit waiters as permits came free) with its token pushed to its list. ARGV as the exclusive
 * release's: owner, STAY or LEAVE, fenceRetentionMs, and optionally a place to queue (owner id, waiterLifeMs,
 * ttl; queued with the releaser's kind before the handoff). A waiter that LEAVEs runs the handoff too: a
 * writer that gave up no longer holds back the readers behind it. Returns NOT_OURS, FREED, HANDED_OVER (also
 * when a place was queued) or LEFT_QUEUE.
 */
export const RELEASE_MODE: LockScript = script(`${NOW}${MINT}${STATE}
local owner, retain = ARGV[1], tonumber(ARGV[3]) or 0
local leaving = ARGV[2] == '${LEAVE}'
local now = now_ms()
if leaving then
  redis.call('ZREM', KEYS[3], owner)
  redis.call('HDEL', KEYS[4], owner)
  redis.call('DEL', KEYS[1] .. ':w:' .. owner)
end
reap(now)
local outcome
if redis.call('ZSCORE', KEYS[1], owner) then
  local kind = redis.call('HGET', KEYS[5], 'mode')
  redis.call('ZREM', KEYS[1], owner)
  redis.call('HDEL', KEYS[5], owner, '${GRANTED_AT}' .. owner)
  local place = ARGV[4] and ARGV[4] ~= ''
  if place then enqueue(ARGV[4], ARGV[5], ARGV[6], kind, now) end
  outcome = (handoff(now, retain) > 0 or place) and ${HANDED_OVER} or ${FREED}
else
  handoff(now, retain)
  outcome = leaving and ${LEFT_QUEUE} or ${NOT_OURS}
end
tidy()
return outcome
`);

/**
 * Extend, atomic compare-and-renew: only a holder whose expiry has not passed is renewed (an expired grant is
 * never brought back, even before it is reaped). KEYS: holders, fence, state. ARGV: owner, ttlMs,
 * fenceRetentionMs. Returns EXTENDED or NOT_OURS.
 */
export const EXTEND_MODE: LockScript = script(`${NOW}
local function outlive(key, at)
  if redis.call('PEXPIRETIME', key) < at then redis.call('PEXPIREAT', key, at) end
end
local now = now_ms()
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
if expiry <= now then return ${NOT_OURS} end
local renewed = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', renewed, ARGV[1])
outlive(KEYS[1], renewed)
outlive(KEYS[3], renewed)
local retain = tonumber(ARGV[3]) or 0
if retain > 0 then outlive(KEYS[2], renewed + retain) end
return ${EXTENDED}
`);

/**
 * One snapshot of everything a name has, for `status()`: its exclusive lock (what STATUS returns, from KEYS[1..4]:
 * lock, fence, queue, deadlines), then for its read-write lock and its semaphore (KEYS[5..8] and KEYS[9..12]:
 * holders, queue, deadlines, state) the live holders, their tokens, the holders' kind, the permits, the queue
 * length, the first waiters and their "deadline:ttl:kind", how many hold, and each listed holder's grant time
 * (server ms, false for a grant made by a version that did not record it). ARGV: how many holders and waiters
 * to list. One script, so the three agree with each other and with the fence counter.
 */
export const STATUS_NAME: LockScript = script(`${NOW}${LOCK_STATUS}
local limit = tonumber(ARGV[1])
local now = now_ms()
local groups = {}
for first = 5, #KEYS, 4 do
  local holders, queue, deadlines, state = KEYS[first], KEYS[first + 1], KEYS[first + 2], KEYS[first + 3]
  local live = limit > 0 and redis.call('ZRANGEBYSCORE', holders, '(' .. now, '+inf', 'LIMIT', 0, limit) or {}
  local tokens = {}
  local granted_at = {}
  for index, who in ipairs(live) do
    tokens[index] = redis.call('HGET', state, who) or false
    granted_at[index] = redis.call('HGET', state, '${GRANTED_AT}' .. who) or false
  end
  local listed = limit > 0 and redis.call('ZRANGE', queue, 0, limit - 1) or {}
  local infos = {}
  for index, who in ipairs(listed) do infos[index] = redis.call('HGET', deadlines, who) or false end
  groups[#groups + 1] = { live, tokens, redis.call('HGET', state, 'mode') or false,
    redis.call('HGET', state, 'permits') or false, redis.call('ZCARD', queue), listed, infos,
    redis.call('ZCOUNT', holders, '(' .. now, '+inf'), granted_at }
end
return { lock_status(limit), groups }
`);
