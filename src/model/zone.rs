//! `ZoneData`: which scope a password-policy lookup uses.

use serde::{Deserialize, Serialize};

/// The scope kind of a [`ZoneData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContextType {
    /// A group's override (falls back to its zone, then the UI source default).
    Group,
    /// A zone's override (falls back to the UI source default).
    Zone,
}

/// Group and/or zone whose password policy applies; the group wins when both are given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneData {
    /// The group, if any.
    pub group_id: Option<i32>,
    /// The zone, if any.
    pub zone_id: Option<i32>,
}

impl ZoneData {
    /// The scope a lookup starts at: the group when set, else the zone, else none (the UI
    /// source default).
    pub fn context_type(&self) -> Option<ContextType> {
        match (self.group_id, self.zone_id) {
            (Some(_), _) => Some(ContextType::Group),
            (None, Some(_)) => Some(ContextType::Zone),
            (None, None) => None,
        }
    }

    /// The id of [`ZoneData::context_type`]'s scope.
    pub fn context_id(&self) -> Option<i32> {
        self.group_id.or(self.zone_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_wins_over_zone() {
        let both = ZoneData {
            group_id: Some(3),
            zone_id: Some(9),
        };
        assert_eq!(both.context_type(), Some(ContextType::Group));
        assert_eq!(both.context_id(), Some(3));
        let zone = ZoneData {
            group_id: None,
            zone_id: Some(9),
        };
        assert_eq!(zone.context_type(), Some(ContextType::Zone));
        assert_eq!(zone.context_id(), Some(9));
        assert_eq!(ZoneData::default().context_type(), None);
        assert_eq!(ZoneData::default().context_id(), None);
    }
}
