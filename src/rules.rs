//! Access decisions, remaining credits, bundles and the reader's state: the queries a paywall makes.

use crate::date::Timestamp;
use crate::error::Error;
use crate::json::write_string;
use crate::model::{Entitlement, Session, SessionEntry};

/// The reason for a decision to grant or deny access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The entitlement is delivered directly, by a product or bundle.
    Entitlement,
    /// A meter or credit already counted this content, so reading it again is free.
    Consumed,
    /// A meter of the entitlement has credits left.
    Meter,
    /// A credit of the entitlement has credits left.
    Credit,
    /// The entitlement is delivered, but none of its meters and credits has credits left.
    Exhausted,
    /// The reader does not have the entitlement.
    None,
}

impl Reason {
    /// Returns the reason's name, the value of `decision.reason` in JavaScript.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Entitlement => "entitlement",
            Reason::Consumed => "consumed",
            Reason::Meter => "meter",
            Reason::Credit => "credit",
            Reason::Exhausted => "exhausted",
            Reason::None => "none",
        }
    }
}

/// The result of an access check: whether the reader may see the content, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the content may be shown.
    pub granted: bool,
    /// Why.
    pub reason: Reason,
    /// The entitlement checked, when the reader has it delivered.
    pub entitlement_id: Option<String>,
    /// The meter that counted the content or has credits left.
    pub meter_id: Option<String>,
    /// The credit that counted the content or has credits left.
    pub credit_id: Option<String>,
    /// The credits left on the meter or credit that grants access by reason
    /// `meter` or `credit`. Reading will use one, but the server counts it:
    /// this crate never decrements anything.
    pub remaining_credits: Option<u64>,
}

impl Decision {
    /// Writes the decision as the JSON text of the object `decide` returns in
    /// JavaScript: `{"granted":true,"reason":"meter","meterId":"m",...}`,
    /// without the fields the decision does not have.
    pub fn to_json(&self) -> String {
        let mut json = String::from(if self.granted {
            "{\"granted\":true,\"reason\":\""
        } else {
            "{\"granted\":false,\"reason\":\""
        });
        json.push_str(self.reason.as_str());
        json.push('"');
        let ids = [
            ("entitlementId", &self.entitlement_id),
            ("meterId", &self.meter_id),
            ("creditId", &self.credit_id),
        ];
        for (key, id) in ids {
            if let Some(id) = id {
                json.push_str(",\"");
                json.push_str(key);
                json.push_str("\":");
                write_string(id, &mut json);
            }
        }
        if let Some(remaining) = self.remaining_credits {
            json.push_str(",\"remainingCredits\":");
            json.push_str(&remaining.to_string());
        }
        json.push('}');
        json
    }
}

/// A decision whose ids borrow from the session, so that a caller that needs
/// only `granted`, such as `is_entitled`, copies no id.
struct Verdict<'s> {
    granted: bool,
    reason: Reason,
    entitlement_id: Option<&'s str>,
    meter_id: Option<&'s str>,
    credit_id: Option<&'s str>,
    remaining_credits: Option<u64>,
}

impl<'s> Verdict<'s> {
    fn new(granted: bool, reason: Reason, entitlement: Option<&'s Entitlement>) -> Self {
        Verdict {
            granted,
            reason,
            entitlement_id: entitlement.map(|entitlement| entitlement.id.as_str()),
            meter_id: None,
            credit_id: None,
            remaining_credits: None,
        }
    }

    fn to_decision(&self) -> Decision {
        Decision {
            granted: self.granted,
            reason: self.reason,
            entitlement_id: self.entitlement_id.map(str::to_owned),
            meter_id: self.meter_id.map(str::to_owned),
            credit_id: self.credit_id.map(str::to_owned),
            remaining_credits: self.remaining_credits,
        }
    }
}

impl Session {
    /// Decides whether the reader may see `content_id`.
    ///
    /// The entitlement checked is `entitlement_id` when given, else the
    /// content id itself. The first rule that applies decides:
    ///
    /// 1. `entitlement`: the entitlement is delivered directly.
    /// 2. `consumed`: a meter or credit already recorded the content. When the
    ///    entitlement is delivered, only its own meters and then credits are
    ///    searched, in their listed order; otherwise every meter and then every
    ///    credit, in ascending id order.
    /// 3. `meter`: the first meter of the entitlement with credits left.
    /// 4. `credit`: the first credit of the entitlement with credits left.
    /// 5. Denied: `exhausted` when the entitlement is delivered, else `none`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `content_id` or `entitlement_id` is empty.
    pub fn decide(
        &self,
        content_id: &str,
        entitlement_id: Option<&str>,
    ) -> Result<Decision, Error> {
        Ok(self.verdict(content_id, entitlement_id)?.to_decision())
    }

    /// Applies the rules of [`Session::decide`], with the errors of `decide`.
    fn verdict(
        &self,
        content_id: &str,
        entitlement_id: Option<&str>,
    ) -> Result<Verdict<'_>, Error> {
        if content_id.is_empty() {
            return Err(Error::invalid_argument(
                "contentId is empty; pass the id of the article being shown",
            ));
        }
        if entitlement_id == Some("") {
            return Err(Error::invalid_argument(
                "entitlementId is empty; pass the entitlement that unlocks the content, or \
                 leave it out to check the content id itself",
            ));
        }
        let entitlement = self.entitlement(entitlement_id.unwrap_or(content_id));
        Ok(self.decide_for(content_id, entitlement))
    }

    fn decide_for<'s>(
        &'s self,
        content_id: &str,
        entitlement: Option<&'s Entitlement>,
    ) -> Verdict<'s> {
        if let Some(entitlement) = entitlement.filter(|entitlement| entitlement.direct) {
            return Verdict::new(true, Reason::Entitlement, Some(entitlement));
        }
        if let Some(verdict) = self.consumed(content_id, entitlement) {
            return verdict;
        }
        let Some(entitlement) = entitlement else {
            return Verdict::new(false, Reason::None, None);
        };

        let meter = self
            .metered_by(entitlement)
            .find_map(|meter| Some((meter, meter.remaining_credits.filter(|&n| n > 0)?)));
        if let Some((meter, remaining)) = meter {
            return Verdict {
                meter_id: Some(&meter.id),
                remaining_credits: Some(remaining),
                ..Verdict::new(true, Reason::Meter, Some(entitlement))
            };
        }
        let credit = self
            .credited_by(entitlement)
            .find_map(|credit| Some((credit, credit.remaining_credits.filter(|&n| n > 0)?)));
        if let Some((credit, remaining)) = credit {
            return Verdict {
                credit_id: Some(&credit.id),
                remaining_credits: Some(remaining),
                ..Verdict::new(true, Reason::Credit, Some(entitlement))
            };
        }
        Verdict::new(false, Reason::Exhausted, Some(entitlement))
    }

    /// Finds the meter or credit, within the scope described on [`Session::decide`],
    /// that already recorded `content_id`.
    fn consumed<'s>(
        &'s self,
        content_id: &str,
        entitlement: Option<&'s Entitlement>,
    ) -> Option<Verdict<'s>> {
        let granted = |meter_id: Option<&'s str>, credit_id: Option<&'s str>| Verdict {
            meter_id,
            credit_id,
            ..Verdict::new(true, Reason::Consumed, entitlement)
        };
        match entitlement {
            Some(entitlement) => {
                if let Some(meter) = self
                    .metered_by(entitlement)
                    .find(|meter| meter.has_recorded(content_id))
                {
                    return Some(granted(Some(&meter.id), None));
                }
                self.credited_by(entitlement)
                    .find(|credit| credit.has_recorded(content_id))
                    .map(|credit| granted(None, Some(&credit.id)))
            }
            None => {
                let [meters, credits] = &self.first_recorded;
                if let Some(meter) = meters.find(content_id).and_then(|at| self.meters.get(at)) {
                    return Some(granted(Some(&meter.id), None));
                }
                credits
                    .find(content_id)
                    .and_then(|at| self.credits.get(at))
                    .map(|credit| granted(None, Some(&credit.id)))
            }
        }
    }

    /// Returns the meters an entitlement lists, in its order, skipping unknown ids.
    fn metered_by<'s>(
        &'s self,
        entitlement: &'s Entitlement,
    ) -> impl Iterator<Item = &'s crate::model::Meter> {
        entitlement
            .metered_by
            .iter()
            .filter_map(|id| self.meter(id))
    }

    /// Returns the credits an entitlement lists, in its order, skipping unknown ids.
    fn credited_by<'s>(
        &'s self,
        entitlement: &'s Entitlement,
    ) -> impl Iterator<Item = &'s crate::model::Credit> {
        entitlement
            .credited_by
            .iter()
            .filter_map(|id| self.credit(id))
    }

    /// Returns whether the reader may see `content_id`: `decide(content_id, None)`'s `granted`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `content_id` is empty.
    pub fn is_entitled(&self, content_id: &str) -> Result<bool, Error> {
        Ok(self.verdict(content_id, None)?.granted)
    }

    /// Returns whether `entitlement_id` is delivered, whatever its source or remaining credits.
    pub fn has_entitlement(&self, entitlement_id: &str) -> bool {
        self.entitlement_index.contains(entitlement_id)
    }

    /// Returns whether `bundle_id` is in `granted_bundles` or `jwt_bundles`.
    pub fn has_bundle(&self, bundle_id: &str) -> bool {
        self.bundle_index.contains(bundle_id)
    }

    /// Returns the credits left on a meter in this period; `None` when the meter or
    /// its count is absent.
    pub fn remaining_credits(&self, meter_id: &str) -> Option<u64> {
        self.meter(meter_id)?.remaining_credits
    }

    /// Returns whether the reader is logged in: the top-level `authenticated` when
    /// the document has it, else the current session's, else false.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
            .or_else(|| self.current_session()?.authenticated)
            .unwrap_or(false)
    }

    /// Returns the entry of `sessions` whose `session_id` is the id the document was
    /// fetched for. Without such an entry, the only entry when there is
    /// exactly one; otherwise `None`.
    pub fn current_session(&self) -> Option<&SessionEntry> {
        self.sessions.get(self.current_session?)
    }

    /// Returns whether the current session's `expiryDate` is at or before `now`. A
    /// session whose expiry is unknown has not expired.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.current_session()
            .and_then(|session| session.expiry_date)
            .is_some_and(|expiry| expiry <= now)
    }
}
