//! Chain rollouts: releases stored at the hub (`tableorder hub release add`), assigned to
//! boxes (`tableorder hub rollout`), told to each box in the answer to its uploads, and
//! downloaded by it. The hub only carries releases: every box verifies one with its own
//! keys before installing it. A box that reports a release failed (rolled back or refused)
//! halts its rollout: the boxes it has not reached yet are no longer assigned it.

use crate::error::AppResult;
use crate::wire::{AssignedRelease, BoxRelease};
use deadpool_postgres::Pool;

use crate::update::MAX_RELEASE_BYTES;

/// Stores a release (a binary and its minisign signature); answers its version and target,
/// as its signature's trusted comment names them.
pub async fn add(pool: &Pool, body: Vec<u8>, signature: &str) -> Result<(String, String), String> {
    if body.len() > MAX_RELEASE_BYTES {
        return Err("a release is at most 64 MB".into());
    }
    let sig = minisign_verify::Signature::decode(signature).map_err(|e| format!("not a minisign signature: {e}"))?;
    let comment = sig.trusted_comment().trim().to_string();
    let mut parts = comment.split_whitespace();
    let (Some("tableorder"), Some(version), Some(target), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("the signature does not name a tableorder release ({comment:?})"));
    };
    let c = pool.get().await.map_err(|e| e.to_string())?;
    c.execute(
        "INSERT INTO releases (version, target, signature, body) VALUES ($1, $2, $3, $4)
         ON CONFLICT (version, target) DO UPDATE SET signature = excluded.signature, body = excluded.body, added_at = now()",
        &[&version, &target, &signature, &body],
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok((version.to_string(), target.to_string()))
}

/// Which boxes a rollout goes to.
pub enum Scope {
    /// The boxes sending for these stores.
    Stores(Vec<String>),
    /// This share of all live boxes (the lowest ids first, so a larger share adds boxes).
    Percent(u8),
}

/// When rollouts last changed (a rollout, a halt): HQ's cached stores report names it in its
/// key, since `hub rollout` changes what the stores show without any box uploading.
pub async fn stamp(pool: &Pool) -> AppResult<String> {
    let c = pool.get().await?;
    let row =
        c.query_one("SELECT coalesce(max(greatest(assigned_at, halted_at))::text, '') FROM rollouts", &[]).await?;
    Ok(row.get(0))
}

/// Assigns `version` (which must have been added) to the boxes of `scope`; answers their ids.
pub async fn rollout(pool: &Pool, version: &str, scope: Scope) -> Result<Vec<i64>, String> {
    let mut c = pool.get().await.map_err(|e| e.to_string())?;
    let tx = c.transaction().await.map_err(|e| e.to_string())?;
    let known: i64 = tx
        .query_one("SELECT count(*) FROM releases WHERE version = $1", &[&version])
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    if known == 0 {
        return Err(format!("no release {version} at the hub (tableorder hub release add)"));
    }
    let boxes: Vec<i64> = match scope {
        Scope::Stores(stores) => tx
            .query(
                "SELECT DISTINCT b.id FROM boxes b JOIN box_stores s ON s.box_id = b.id
                 WHERE b.revoked_at IS NULL AND s.store_id = ANY($1) ORDER BY b.id",
                &[&stores],
            )
            .await
            .map_err(|e| e.to_string())?
            .iter()
            .map(|r| r.get(0))
            .collect(),
        Scope::Percent(p) => {
            let all: Vec<i64> = tx
                .query("SELECT id FROM boxes WHERE revoked_at IS NULL ORDER BY id", &[])
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let n = (all.len() * p.min(100) as usize).div_ceil(100);
            all.into_iter().take(n).collect()
        }
    };
    if boxes.is_empty() {
        return Err("no box matches".into());
    }
    tx.execute(
        "INSERT INTO rollouts (version) VALUES ($1)
         ON CONFLICT (version) DO UPDATE SET assigned_at = now(), halted_at = NULL, halt_reason = NULL",
        &[&version],
    )
    .await
    .map_err(|e| e.to_string())?;
    tx.execute("UPDATE boxes SET assigned_version = $1 WHERE id = ANY($2)", &[&version, &boxes])
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(boxes)
}

/// Records what a box says it runs; answers the release it should fetch (if any) and
/// whether what HQ shows changed.
pub async fn report(pool: &Pool, box_id: i64, r: &BoxRelease) -> AppResult<(Option<AssignedRelease>, bool)> {
    let c = pool.get().await?;
    let mut changed = c
        .execute(
            "UPDATE boxes SET version = $2, arch = $3, update_state = $4, update_error = $5
             WHERE id = $1 AND (version, arch, update_state, update_error) IS DISTINCT FROM ($2, $3, $4, $5)",
            &[&box_id, &r.version, &r.arch, &r.update_state, &r.last_error],
        )
        .await?
        > 0;
    if let Some(failed) = &r.failed_version {
        // A box this rollout reached failed with it: it goes no further.
        let reason = format!("box {box_id}: {}", r.last_error.as_deref().unwrap_or("failed"));
        let halted = c
            .execute(
                "UPDATE rollouts SET halted_at = now(), halt_reason = $2 WHERE version = $1 AND halted_at IS NULL
                   AND EXISTS (SELECT 1 FROM boxes WHERE id = $3 AND assigned_version = $1)",
                &[failed, &reason, &box_id],
            )
            .await?;
        if halted > 0 {
            tracing::warn!(version = %failed, %reason, "rollout halted: a box failed with the release");
            c.execute(
                "UPDATE boxes SET assigned_version = NULL WHERE assigned_version = $1 AND version IS DISTINCT FROM $1",
                &[failed],
            )
            .await?;
            changed = true;
        }
    }
    let assigned: Option<String> = c
        .query_opt(
            "SELECT b.assigned_version FROM boxes b JOIN rollouts r ON r.version = b.assigned_version
             WHERE b.id = $1 AND r.halted_at IS NULL",
            &[&box_id],
        )
        .await?
        .map(|row| row.get(0));
    let Some(version) = assigned.filter(|v| *v != r.version && r.failed_version.as_ref() != Some(v)) else {
        return Ok((None, changed));
    };
    let targets: Vec<String> = c
        .query("SELECT target FROM releases WHERE version = $1", &[&version])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let Some(target) = targets.into_iter().find(|t| crate::update::same_arch(t, &r.arch)) else {
        return Ok((None, changed));
    };
    Ok((Some(AssignedRelease { path: format!("/hub/v1/releases/{version}/{target}"), version }), changed))
}

/// A release's binary and signature.
pub async fn fetch(pool: &Pool, version: &str, target: &str) -> AppResult<Option<(String, Vec<u8>)>> {
    let c = pool.get().await?;
    Ok(c.query_opt("SELECT signature, body FROM releases WHERE version = $1 AND target = $2", &[&version, &target])
        .await?
        .map(|r| (r.get(0), r.get(1))))
}
