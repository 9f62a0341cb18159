//! `allowed_groups`: whether a user is in one of the allowed Unix groups, as the system's
//! group database (NSS: files, LDAP, SSSD) says: the primary group and every supplementary
//! one (`getgrouplist`), plus the groups' own member lists.

use std::collections::BTreeSet;
use std::ffi::CString;

use nix::unistd::{getgrouplist, Group, User};

/// Whether `user` is in one of `groups`. Blocking (NSS may ask a directory server): call it
/// off the async runtime. An unknown user is in no group; an unknown group has no member.
pub(super) fn member_of_any(user: &str, groups: &BTreeSet<String>) -> Result<bool, String> {
    let Some(account) =
        User::from_name(user).map_err(|e| format!("looking up user {user}: {e}"))?
    else {
        return Ok(false);
    };
    let name = CString::new(user).map_err(|_| format!("user name {user:?} holds a NUL"))?;
    let gids = getgrouplist(&name, account.gid).map_err(|e| format!("groups of {user}: {e}"))?;
    for wanted in groups {
        let Some(group) =
            Group::from_name(wanted).map_err(|e| format!("looking up group {wanted}: {e}"))?
        else {
            continue;
        };
        if gids.contains(&group.gid) || group.mem.iter().any(|m| m == user) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_in_their_primary_group_and_not_in_a_missing_one() {
        let me = User::from_uid(nix::unistd::getuid()).unwrap().unwrap();
        let primary = Group::from_gid(me.gid).unwrap().unwrap();
        let yes = BTreeSet::from([primary.name.clone()]);
        assert!(member_of_any(&me.name, &yes).unwrap());
        let no = BTreeSet::from(["no-such-group-batchhub".to_string()]);
        assert!(!member_of_any(&me.name, &no).unwrap());
        assert!(!member_of_any("no-such-user-batchhub", &yes).unwrap());
    }
}
