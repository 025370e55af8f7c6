//! Access decisions, remaining credits, bundles and the reader's state: the queries a paywall makes.

use crate::date::Timestamp;
use crate::error::Error;
use crate::index::Key;
use crate::json::write_string;
use crate::model::{ContentQuery, Entitlement, EntitlementSources, Session, SessionEntry};

/// A delivered entitlement, with the meters and credits it lists.
type Delivered<'s> = (&'s Entitlement, &'s EntitlementSources);

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

/// The source of a granted decision's credits: a meter or a credit, by its
/// position in the session's list, which is in ascending id order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The meter at this position of `Session::meters`.
    Meter(usize),
    /// The credit at this position of `Session::credits`.
    Credit(usize),
}

/// A decision that names its meter or credit by position and borrows its
/// entitlement, so that a caller that needs only `granted`, such as
/// `is_entitled`, copies no id.
pub(crate) struct Verdict<'s> {
    /// Whether the content may be shown.
    pub(crate) granted: bool,
    /// Why.
    pub(crate) reason: Reason,
    /// The entitlement checked, when the reader has it delivered.
    pub(crate) entitlement: Option<&'s Entitlement>,
    /// The meter or credit that counted the content or has credits left.
    pub(crate) source: Option<Source>,
}

impl<'s> Verdict<'s> {
    fn new(granted: bool, reason: Reason, entitlement: Option<&'s Entitlement>) -> Self {
        Verdict {
            granted,
            reason,
            entitlement,
            source: None,
        }
    }

    fn to_decision(&self, session: &Session) -> Decision {
        let id = |source| session.source_id(source).map(str::to_owned);
        let (meter_id, credit_id) = match self.source {
            Some(source @ Source::Meter(_)) => (id(source), None),
            Some(source @ Source::Credit(_)) => (None, id(source)),
            None => (None, None),
        };
        Decision {
            granted: self.granted,
            reason: self.reason,
            entitlement_id: self.entitlement.map(|entitlement| entitlement.id.clone()),
            meter_id,
            credit_id,
            remaining_credits: self.remaining_credits(session),
        }
    }

    /// Returns the credits left on the meter or credit that grants access by
    /// reason `meter` or `credit`; `None` for the other reasons.
    pub(crate) fn remaining_credits(&self, session: &Session) -> Option<u64> {
        if !matches!(self.reason, Reason::Meter | Reason::Credit) {
            return None;
        }
        session.source_remaining_credits(self.source?)
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
        Ok(self.verdict(content_id, entitlement_id)?.to_decision(self))
    }

    /// Applies the rules of [`Session::decide`], with the errors of `decide`.
    pub(crate) fn verdict(
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
        let query = ContentQuery::new(content_id);
        let delivered = match entitlement_id {
            Some(id) => self.delivered(&Key::new(id)),
            None => self.delivered(query.exact()),
        };
        Ok(self.decide_for(&query, delivered))
    }

    /// Returns the delivered entitlement with this id, with the meters and
    /// credits it lists.
    fn delivered(&self, entitlement_id: &Key<'_>) -> Option<Delivered<'_>> {
        let at = self.entitlement_index.find(entitlement_id)?;
        Some((
            self.entitlements.get(at)?,
            self.entitlement_sources.get(at)?,
        ))
    }

    fn decide_for<'s>(
        &'s self,
        query: &ContentQuery<'_>,
        delivered: Option<Delivered<'s>>,
    ) -> Verdict<'s> {
        if let Some((entitlement, _)) = delivered.filter(|(entitlement, _)| entitlement.direct) {
            return Verdict::new(true, Reason::Entitlement, Some(entitlement));
        }
        if let Some(verdict) = self.consumed(query, delivered) {
            return verdict;
        }
        let Some((entitlement, sources)) = delivered else {
            return Verdict::new(false, Reason::None, None);
        };

        let has_credits = |(_, count): &(usize, Option<u64>)| count.is_some_and(|n| n > 0);
        if let Some((at, _)) = self.metered_by(sources).find(has_credits) {
            return Verdict {
                source: Some(Source::Meter(at)),
                ..Verdict::new(true, Reason::Meter, Some(entitlement))
            };
        }
        if let Some((at, _)) = self.credited_by(sources).find(has_credits) {
            return Verdict {
                source: Some(Source::Credit(at)),
                ..Verdict::new(true, Reason::Credit, Some(entitlement))
            };
        }
        Verdict::new(false, Reason::Exhausted, Some(entitlement))
    }

    /// Finds the meter or credit, within the scope described on [`Session::decide`],
    /// that already recorded the queried content id.
    fn consumed<'s>(
        &'s self,
        query: &ContentQuery<'_>,
        delivered: Option<Delivered<'s>>,
    ) -> Option<Verdict<'s>> {
        let source = match delivered {
            Some((_, sources)) => self
                .metered_by(sources)
                .find(|&(at, _)| {
                    self.meters
                        .get(at)
                        .is_some_and(|m| m.recorded.contains(query))
                })
                .map(|(at, _)| Source::Meter(at))
                .or_else(|| {
                    self.credited_by(sources)
                        .find(|&(at, _)| {
                            self.credits
                                .get(at)
                                .is_some_and(|c| c.recorded.contains(query))
                        })
                        .map(|(at, _)| Source::Credit(at))
                }),
            None => {
                let [meters, credits] = &self.first_recorded;
                meters
                    .find(query)
                    .map(Source::Meter)
                    .or_else(|| credits.find(query).map(Source::Credit))
            }
        }?;
        Some(Verdict {
            source: Some(source),
            ..Verdict::new(
                true,
                Reason::Consumed,
                delivered.map(|(entitlement, _)| entitlement),
            )
        })
    }

    /// Returns the meters an entitlement lists, in its order, without the
    /// ids the document does not define: each meter's position and credits
    /// left.
    fn metered_by<'s>(
        &'s self,
        sources: &'s EntitlementSources,
    ) -> impl Iterator<Item = (usize, Option<u64>)> + 's {
        sources
            .meters
            .iter()
            .filter_map(|&at| Some((at, self.meters.get(at)?.remaining_credits)))
    }

    /// Returns the credits an entitlement lists, in its order, without the
    /// ids the document does not define: each credit's position and credits
    /// left.
    fn credited_by<'s>(
        &'s self,
        sources: &'s EntitlementSources,
    ) -> impl Iterator<Item = (usize, Option<u64>)> + 's {
        sources
            .credits
            .iter()
            .filter_map(|&at| Some((at, self.credits.get(at)?.remaining_credits)))
    }

    /// Returns the credits left on a meter or credit, by its position.
    pub(crate) fn source_remaining_credits(&self, source: Source) -> Option<u64> {
        match source {
            Source::Meter(at) => self.meters.get(at)?.remaining_credits,
            Source::Credit(at) => self.credits.get(at)?.remaining_credits,
        }
    }

    /// Returns the id of a meter or credit, by its position.
    pub(crate) fn source_id(&self, source: Source) -> Option<&str> {
        match source {
            Source::Meter(at) => self.meters.get(at).map(|meter| meter.id.as_str()),
            Source::Credit(at) => self.credits.get(at).map(|credit| credit.id.as_str()),
        }
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
