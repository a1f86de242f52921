//! Domain types and rules. Nothing here knows about HTTP, the database or the
//! search index: parse, don't validate — a value of these types is valid.

pub mod access;
pub mod account;
pub mod advice;
pub mod agreement;
pub mod curation;
pub mod enums;
pub mod external_id;
pub mod organization;
pub mod permissions;
pub mod posting;
pub mod taxonomy;
pub mod uscc;
pub mod validation;

pub use enums::*;
pub use external_id::ExternalId;
pub use organization::{Organization, OrganizationDraft};
pub use posting::{Capability, CapabilityDraft, Need, NeedDraft, Posting, PostingDraft};
pub use taxonomy::{Taxonomy, Term, TermKind};
pub use uscc::Uscc;
pub use validation::{FieldError, ValidationErrors};
