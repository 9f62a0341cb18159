//! The system's PAM, loaded at run time (`libpam.so.0` through `dlopen`), so that building
//! the hub needs no PAM development package and a machine without PAM fails with a clear
//! error only when PAM is configured.
//!
//! One login is `pam_start(service, user)` → `pam_authenticate` → `pam_acct_mgmt` (expired
//! or locked accounts are refused) → `pam_end`, on a blocking thread: PAM sleeps on failures
//! (`pam_faildelay`) and may read files or ask a network service.
//!
//! This is the workspace's only `unsafe` code: PAM is a C API with a C callback. Every block
//! says why it is sound.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::Arc;

use async_trait::async_trait;
use libloading::{Library, Symbol};
use nix::libc;

use super::{AuthError, Authenticator, Verdict};

/// `PAM_SUCCESS`.
const PAM_SUCCESS: c_int = 0;
/// `PAM_BUF_ERR`: memory could not be allocated.
const PAM_BUF_ERR: c_int = 5;
/// `PAM_CONV_ERR`: the conversation failed.
const PAM_CONV_ERR: c_int = 19;
/// Message styles a module may send.
const PAM_PROMPT_ECHO_OFF: c_int = 1;
const PAM_ERROR_MSG: c_int = 3;
const PAM_TEXT_INFO: c_int = 4;
/// `PAM_SILENT`: modules print nothing.
const PAM_SILENT: c_int = 0x8000;

#[repr(C)]
struct PamMessage {
    msg_style: c_int,
    msg: *const c_char,
}

#[repr(C)]
struct PamResponse {
    resp: *mut c_char,
    resp_retcode: c_int,
}

type ConvFn = unsafe extern "C" fn(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int;

#[repr(C)]
struct PamConv {
    conv: ConvFn,
    appdata_ptr: *mut c_void,
}

type PamStart = unsafe extern "C" fn(
    service: *const c_char,
    user: *const c_char,
    conv: *const PamConv,
    pamh: *mut *mut c_void,
) -> c_int;
type PamCall = unsafe extern "C" fn(pamh: *mut c_void, flags: c_int) -> c_int;

/// Logs users in through PAM service `service` (JupyterHub's default is `login`).
#[derive(Debug, Clone)]
pub struct Pam {
    service: CString,
    library: Arc<Library>,
}

impl Pam {
    /// Loads the system's libpam; fails with a clear message when it is missing.
    pub fn new(service: &str) -> Result<Pam, AuthError> {
        let service = CString::new(service)
            .map_err(|_| AuthError::Unavailable("PAM service name holds a NUL".into()))?;
        // SAFETY: loading libpam runs its initialisers, which only set up the library's own
        // state; it is the system's PAM, the same the login programs load.
        let library = unsafe { Library::new("libpam.so.0") }.map_err(|e| {
            AuthError::Unavailable(format!(
                "cannot load the system's PAM library (libpam.so.0; Debian package libpam0g): {e}"
            ))
        })?;
        Ok(Pam {
            service,
            library: Arc::new(library),
        })
    }

    /// The blocking check: `Ok(true)` when PAM accepts `user` with `password`.
    fn check(&self, user: &str, password: &str) -> Result<bool, AuthError> {
        let (Ok(c_user), Ok(c_password)) = (CString::new(user), CString::new(password)) else {
            return Ok(false); // a NUL in either can match no account
        };
        let missing = |e: libloading::Error| AuthError::Unavailable(format!("libpam: {e}"));
        // SAFETY: the symbols are looked up by their documented names and given the types of
        // their C prototypes in <security/pam_appl.h>.
        let (start, authenticate, acct_mgmt, end) = unsafe {
            let start: Symbol<PamStart> = self.library.get(b"pam_start\0").map_err(missing)?;
            let auth: Symbol<PamCall> = self.library.get(b"pam_authenticate\0").map_err(missing)?;
            let acct: Symbol<PamCall> = self.library.get(b"pam_acct_mgmt\0").map_err(missing)?;
            let end: Symbol<PamCall> = self.library.get(b"pam_end\0").map_err(missing)?;
            (start, auth, acct, end)
        };
        let conv = PamConv {
            conv: converse,
            // The conversation reads the password through this pointer while PAM runs;
            // `c_password` outlives the handle (pam_end is called below).
            appdata_ptr: c_password.as_ptr() as *mut c_void,
        };
        let mut handle: *mut c_void = std::ptr::null_mut();
        // SAFETY: all pointers are valid for the call; `handle` is written by pam_start.
        let started = unsafe { start(self.service.as_ptr(), c_user.as_ptr(), &conv, &mut handle) };
        if started != PAM_SUCCESS || handle.is_null() {
            return Err(AuthError::Unavailable(format!(
                "pam_start failed with code {started}"
            )));
        }
        // SAFETY: `handle` is the live handle pam_start returned; `conv` and the strings it
        // points to live until pam_end below.
        let status = unsafe {
            let mut status = authenticate(handle, PAM_SILENT);
            if status == PAM_SUCCESS {
                status = acct_mgmt(handle, PAM_SILENT);
            }
            end(handle, status);
            status
        };
        drop(c_password);
        Ok(status == PAM_SUCCESS)
    }
}

/// PAM's conversation: the password for every hidden prompt, the user name for a visible
/// one is not known here (PAM already has it), messages ignored. Responses are allocated
/// with `calloc`/`strdup` because PAM releases them with `free`.
unsafe extern "C" fn converse(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int {
    let Ok(count) = usize::try_from(num_msg) else {
        return PAM_CONV_ERR;
    };
    if count == 0 || msg.is_null() || resp.is_null() || appdata.is_null() {
        return PAM_CONV_ERR;
    }
    // SAFETY: PAM passes `num_msg` messages and expects an array of as many responses,
    // zeroed where we have nothing to say, which it frees with free().
    unsafe {
        let replies = libc::calloc(count, std::mem::size_of::<PamResponse>()) as *mut PamResponse;
        if replies.is_null() {
            return PAM_BUF_ERR;
        }
        let password = appdata as *const c_char;
        for i in 0..count {
            // Linux-PAM passes an array of pointers to messages.
            let message = *msg.add(i);
            if message.is_null() {
                free_replies(replies, count);
                return PAM_CONV_ERR;
            }
            match (*message).msg_style {
                PAM_PROMPT_ECHO_OFF => {
                    let copy = libc::strdup(password);
                    if copy.is_null() {
                        free_replies(replies, count);
                        return PAM_BUF_ERR;
                    }
                    (*replies.add(i)).resp = copy;
                }
                PAM_ERROR_MSG | PAM_TEXT_INFO => {
                    if !(*message).msg.is_null() {
                        let text = CStr::from_ptr((*message).msg).to_string_lossy();
                        tracing::debug!("PAM says: {text}");
                    }
                }
                // A visible prompt (PAM_PROMPT_ECHO_ON: a name, a one-time code) or a style
                // we do not know cannot be answered here.
                _ => {
                    free_replies(replies, count);
                    return PAM_CONV_ERR;
                }
            }
        }
        *resp = replies;
    }
    PAM_SUCCESS
}

/// Frees a partly filled reply array after a failed conversation.
///
/// # Safety
/// `replies` must be a `calloc`ed array of `count` responses whose `resp` are null or
/// `strdup`ed.
unsafe fn free_replies(replies: *mut PamResponse, count: usize) {
    // SAFETY: as the function's contract says.
    unsafe {
        for i in 0..count {
            let text = (*replies.add(i)).resp;
            if !text.is_null() {
                // Overwrite the password copy before it goes back to the allocator.
                libc::memset(text as *mut c_void, 0, libc::strlen(text));
                libc::free(text as *mut c_void);
            }
        }
        libc::free(replies as *mut c_void);
    }
}

#[async_trait]
impl Authenticator for Pam {
    async fn authenticate(&self, user: &str, password: &str) -> Result<Verdict, AuthError> {
        if drivers::UserName::new(user).is_err() {
            return Ok(Verdict::Rejected);
        }
        let pam = self.clone();
        let (name, password) = (user.to_string(), password.to_string());
        let accepted = tokio::task::spawn_blocking(move || pam.check(&name, &password))
            .await
            .map_err(|e| AuthError::Unavailable(format!("PAM check failed: {e}")))??;
        Ok(if accepted {
            Verdict::Accepted(user.to_string())
        } else {
            Verdict::Rejected
        })
    }

    fn kind(&self) -> &'static str {
        "pam"
    }
}
