//! The PAM authenticator against the system's real PAM (`login` service, `pam_unix`).

use hub::auth::pam::Pam;
use hub::auth::{Authenticator, Verdict};

/// The account `.ci/run` makes for this test (as root: `useradd` + `chpasswd`).
const USER: &str = "bh-pam-test";
const PASSWORD: &str = "bh-pam-test-Pa55word";

#[tokio::test]
#[ignore = "needs root (pam_unix reads /etc/shadow) and the bh-pam-test account .ci/run creates"]
async fn pam_accepts_the_right_password_and_rejects_everything_else() {
    assert!(
        nix::unistd::User::from_name(USER).unwrap().is_some(),
        "create the test account first: useradd -M {USER} && echo '{USER}:{PASSWORD}' | chpasswd"
    );
    let pam = Pam::new("login").expect("the system's libpam loads");
    assert_eq!(
        pam.authenticate(USER, PASSWORD).await.unwrap(),
        Verdict::Accepted(USER.to_string())
    );
    assert_eq!(
        pam.authenticate(USER, "wrong password").await.unwrap(),
        Verdict::Rejected
    );
    assert_eq!(
        pam.authenticate("bh-no-such-user", PASSWORD).await.unwrap(),
        Verdict::Rejected
    );
    assert_eq!(pam.kind(), "pam");
}
