//! sea-orm entities, one file per table, mirroring the migrations. Behaviour
//! lives in `storage::repo`, not here.

pub mod agreement;
pub mod agreement_event;
pub mod api_token;
pub mod capability;
pub mod change_log;
pub mod interest;
pub mod login_attempt;
pub mod match_;
pub mod match_event;
pub mod need;
pub mod organization;
pub mod program_item;
pub mod session;
pub mod staff_scope;
pub mod taxonomy_term;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_outbox;
pub mod webhook_subscription;
