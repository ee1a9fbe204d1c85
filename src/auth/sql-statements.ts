// The statements of SqlTokenStore, built once per store from its table names. Each is one parameterized statement;
// the ones that read and write do both in the same statement, under the row locks they take.
import type { Tables } from './sql-store.js'

const MS = 'double precision'

/** The SQL of every store call, for the given tables. */
export function sqlStatements(t: Tables) {
  // A subject's not-before time at $now, joined where a session's creation time is compared with it.
  const notBefore = (sub: string, now: string) =>
    `coalesce((select not_before from ${t.subjects} where sub = ${sub} and expires_at > ${now}), '-infinity'::${MS})`
  return {
    // $1 hash, $2 sid, $3 sub, $4 claims, $5 metadata, $6 created, $7 token expiry, $8 session end.
    save: `with session as (
  insert into ${t.sessions} as s (id, sub, claims, metadata, created_at, last_used_at, session_expires_at, expires_at)
  values ($2::text, $3::text, $4::jsonb, $5::jsonb, $6::${MS}, $6::${MS}, $8::${MS}, $7::${MS})
  on conflict (id) do update set expires_at = greatest(s.expires_at, excluded.expires_at)
)
insert into ${t.tokens} (hash, session_id, expires_at) values ($1::text, $2::text, $7::${MS})`,

    // $1 hash, $2 next hash, $3 now, $4 next expiry, $5 sealed successor or null, $6 grace end or null.
    // The order of the checks is the contract's: used (graced | reused) → revoked → expired → rotate.
    rotate: `with token as (
  select t.session_id, t.expires_at, t.used, t.grace_until, t.sealed_next, t.next_expires_at,
    s.sub, s.claims, s.metadata, s.created_at, s.session_expires_at, s.revoked, s.expires_at as newest_expires_at,
    coalesce(n.not_before, '-infinity'::${MS}) as not_before
  from ${t.tokens} t
  join ${t.sessions} s on s.id = t.session_id
  left join ${t.subjects} n on n.sub = s.sub and n.expires_at > $3::${MS}
  where t.hash = $1::text
  for update of t, s
), decision as (
  select token.*, least($4::${MS}, session_expires_at) as next_at, case
    when used and sealed_next is not null and $3::${MS} < grace_until and not revoked and created_at >= not_before
      and session_expires_at > $3::${MS} and newest_expires_at > $3::${MS} then 'graced'
    when used then 'reused'
    when revoked or created_at < not_before then 'revoked'
    when expires_at <= $3::${MS} or session_expires_at <= $3::${MS} then 'expired'
    else 'rotated'
  end as status
  from token
), mark_used as (
  update ${t.tokens} set used = true, sealed_next = $5::text, grace_until = $6::${MS},
    next_expires_at = (select next_at from decision)
  where hash = $1::text and exists (select 1 from decision where status = 'rotated')
), next_token as (
  insert into ${t.tokens} (hash, session_id, expires_at)
  select $2::text, session_id, next_at from decision where status = 'rotated'
), touched as (
  update ${t.sessions} as s set last_used_at = $3::${MS}, expires_at = greatest(s.expires_at, d.next_at)
  from decision d where s.id = d.session_id and d.status = 'rotated'
), revoked as (
  update ${t.sessions} as s set revoked = true
  where s.id = (select session_id from decision where status = 'reused') and not s.revoked
  returning s.id
)
select status, session_id, sub, claims, metadata, created_at, expires_at, session_expires_at, sealed_next,
  next_expires_at, exists (select 1 from revoked) as revoked_family
from decision`,

    // $1 hash, $2 sub or null.
    revokeFamily: `update ${t.sessions} as s set revoked = true
from ${t.tokens} t
where t.hash = $1::text and s.id = t.session_id and ($2::text is null or s.sub = $2::text)
returning s.id`,

    // $1 sub, $2 sid, $3 now.
    revokeSession: `update ${t.sessions} set revoked = true
where id = $2::text and sub = $1::text and not revoked and expires_at > $3::${MS} and session_expires_at > $3::${MS}
  and created_at >= ${notBefore('$1::text', `$3::${MS}`)}
returning id`,

    // $1 sub, $2 now, $3 limit.
    listSessions: `select id, created_at, last_used_at, session_expires_at, metadata from ${t.sessions}
where sub = $1::text and not revoked and expires_at > $2::${MS} and session_expires_at > $2::${MS}
  and created_at >= ${notBefore('$1::text', `$2::${MS}`)}
order by last_used_at desc
limit $3::integer`,

    // $1 sub, $2 not-before, $3 mark expiry.
    revokeSubject: `insert into ${t.subjects} as s (sub, not_before, expires_at)
values ($1::text, $2::${MS}, $3::${MS})
on conflict (sub) do update set not_before = greatest(s.not_before, excluded.not_before),
  expires_at = greatest(s.expires_at, excluded.expires_at)`,

    // $1 sub, $2 now.
    getNotBefore: `select not_before from ${t.subjects} where sub = $1::text and expires_at > $2::${MS}`,

    // $1 sub, $2 sid, $3 now: the subject's not-before time, and the session's subject and whether it is live, in
    // one round trip (no session row: no subject, not live).
    checkSession: `select n.not_before, s.sub, coalesce(not s.revoked and s.expires_at > $3::${MS}
    and s.session_expires_at > $3::${MS} and s.created_at >= coalesce(n.not_before, '-infinity'::${MS}), false) as live
from (select 1) as one
left join ${t.subjects} n on n.sub = $1::text and n.expires_at > $3::${MS}
left join ${t.sessions} s on s.id = $2::text`,
  } as const
}
