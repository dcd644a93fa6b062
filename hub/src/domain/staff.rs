//! Staff accounts: who works on cases, with which roles, and how to reach them.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;

use super::case::{ContactPoint, clean_text, named_enum};
use super::work::QuietHours;
use crate::error::DomainError;

/// A staff member's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StaffId(pub i64);

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

named_enum!(
    /// What a staff member may do.
    Role, "role" {
        Admin => "admin", "Quản trị hệ thống";
        Intake => "tiep_nhan", "Tiếp nhận";
        Specialist => "chuyen_vien", "Chuyên viên";
        Secretary => "thu_ky", "Thư ký";
        Deputy => "dai_bieu", "Đại biểu";
        Lead => "lanh_dao", "Lãnh đạo";
        /// May read a denouncer's sealed identity (every read is audited).
        DenunciationOfficer => "giai_quyet_to_cao", "Giải quyết tố cáo";
    }
);

named_enum!(
    /// The language a person reads; Vietnamese first.
    Language, "language" {
        Vi => "vi", "Tiếng Việt", "Vietnamese";
        En => "en", "English", "English";
    }
);

/// A staff account to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub login: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub lead: Option<StaffId>,
    pub time_zone: Tz,
    pub language: Language,
    pub contacts: Vec<ContactPoint>,
    /// When notifications wait, in the member's own time zone.
    pub quiet_hours: Option<QuietHours>,
}

/// A stored staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: StaffId,
    pub login: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub lead: Option<StaffId>,
    pub time_zone: Tz,
    pub language: Language,
    pub contacts: Vec<ContactPoint>,
    pub quiet_hours: Option<QuietHours>,
    pub active: bool,
}

impl Staff {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

impl NewStaff {
    /// Normalises the texts and checks the login and roles.
    pub fn validate(mut self) -> Result<NewStaff, DomainError> {
        self.login = self.login.trim().to_lowercase();
        let login_ok = (2..=64).contains(&self.login.len())
            && self
                .login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !login_ok {
            return Err(DomainError::invalid(
                "login",
                "use 2 to 64 letters a-z, digits, '.', '_' or '-'",
            ));
        }
        self.display_name = clean_text("display_name", &self.display_name, 200, true)?;
        if self.roles.is_empty() {
            return Err(DomainError::invalid("roles", "at least one role is needed"));
        }
        self.roles.sort_by_key(|r| r.as_str());
        self.roles.dedup();
        for contact in &mut self.contacts {
            contact.address = clean_text("contact", &contact.address, 320, true)?;
        }
        Ok(self)
    }
}

/// Parses a comma-separated role list as stored.
pub fn parse_roles(text: &str) -> Result<Vec<Role>, DomainError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(Role::from_str)
        .collect()
}

/// Formats roles for storage.
pub fn format_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_staff(login: &str, roles: Vec<Role>) -> NewStaff {
        NewStaff {
            login: login.to_owned(),
            display_name: "Lê Văn Cường".to_owned(),
            roles,
            unit: None,
            lead: None,
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
            language: Language::Vi,
            contacts: vec![],
            quiet_hours: None,
        }
    }

    #[test]
    fn login_is_lowercased_and_checked() {
        let staff = new_staff(" CuongLV ", vec![Role::Intake])
            .validate()
            .unwrap();
        assert_eq!(staff.login, "cuonglv");
        assert!(new_staff("có dấu", vec![Role::Intake]).validate().is_err());
        assert!(new_staff("x", vec![Role::Intake]).validate().is_err());
    }

    #[test]
    fn staff_need_a_role_and_roles_round_trip() {
        assert!(new_staff("cuonglv", vec![]).validate().is_err());
        let roles = vec![Role::Lead, Role::Intake, Role::Lead];
        let staff = new_staff("cuonglv", roles).validate().unwrap();
        assert_eq!(
            parse_roles(&format_roles(&staff.roles)).unwrap(),
            staff.roles
        );
        assert_eq!(staff.roles.len(), 2);
    }
}
