//! Access decisions, remaining credits, bundles and the reader's state: the queries a paywall makes.

use alloc::borrow::ToOwned;
use alloc::string::String;

use crate::date::Timestamp;
use crate::error::Error;
use crate::index::Key;
use crate::json::write_string;
use crate::model::{
    ContentQuery, Entitlement, EntitlementSources, FirstRecorded, Session, SessionEntry,
};
use crate::text::Part;

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
            remaining.push_to(&mut json);
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
        Ok(self.decide_for(Some(&query), delivered))
    }

    /// Applies the rules of [`Session::decide`] to ids already looked up.
    ///
    /// `content_id` is a recorded content id as its table keeps it, or
    /// `None` for an id that no table records. `entitlement` is the position
    /// of the delivered entitlement to check, or `None` when it is not
    /// delivered. Returns `None` when that position is past the end.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        allow(dead_code, reason = "only the JavaScript layer calls it")
    )]
    pub(crate) fn verdict_at(
        &self,
        content_id: Option<&str>,
        entitlement: Option<usize>,
    ) -> Option<Verdict<'_>> {
        let delivered = match entitlement {
            Some(at) => Some((
                self.entitlements.get(at)?,
                self.entitlement_sources.get(at)?,
            )),
            None => None,
        };
        let query = content_id.map(ContentQuery::new);
        Some(self.decide_for(query.as_ref(), delivered))
    }

    /// Returns the content ids that the meters' and then the credits' tables
    /// record, in the form each compares: as recorded by sources compared
    /// exactly, and cut at `?` or `#` by `STRIP_PARAMS` sources. An id
    /// without `?` or `#` matches a recorded one only if it is among these.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        allow(dead_code, reason = "only the JavaScript layer calls it")
    )]
    pub(crate) fn recorded_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.first_recorded.iter().flat_map(FirstRecorded::keys)
    }

    /// Returns the recorded id at `position` of [`Session::recorded_ids`].
    #[cfg_attr(
        not(target_arch = "wasm32"),
        allow(dead_code, reason = "only the JavaScript layer calls it")
    )]
    pub(crate) fn recorded_id(&self, position: usize) -> Option<&str> {
        let mut rest = position;
        for table in &self.first_recorded {
            match table.key(rest) {
                Ok(id) => return Some(id),
                Err(after) => rest = after,
            }
        }
        None
    }

    /// Returns whether a `STRIP_PARAMS` source records any content, so that a
    /// queried id with `?` or `#` can match an id it does not equal.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        allow(dead_code, reason = "only the JavaScript layer calls it")
    )]
    pub(crate) fn strips_params(&self) -> bool {
        self.first_recorded.iter().any(FirstRecorded::strips_params)
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

    /// Applies the rules; a `query` of `None` matches no recorded content.
    fn decide_for<'s>(
        &'s self,
        query: Option<&ContentQuery<'_>>,
        delivered: Option<Delivered<'s>>,
    ) -> Verdict<'s> {
        if let Some((entitlement, _)) = delivered.filter(|(entitlement, _)| entitlement.direct) {
            return Verdict::new(true, Reason::Entitlement, Some(entitlement));
        }
        if let Some(verdict) = query.and_then(|query| self.consumed(query, delivered)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::vec::Vec;

    /// Looks the ids up as the package's JavaScript does, in maps of the
    /// recorded ids and the entitlements, and applies [`Session::verdict_at`].
    fn verdict_through_maps<'s>(
        session: &'s Session,
        content_id: &str,
        entitlement_id: Option<&str>,
    ) -> Option<Verdict<'s>> {
        let mut recorded = HashMap::new();
        for (position, id) in session.recorded_ids().enumerate() {
            recorded.entry(id).or_insert(position);
        }
        let entitlement = entitlement_id.unwrap_or(content_id);
        let delivered = session
            .entitlements
            .iter()
            .position(|known| known.id == entitlement);
        let content = recorded.get(content_id).copied();
        let verdict =
            session.verdict_at(content.and_then(|at| session.recorded_id(at)), delivered)?;
        assert_eq!(
            content.and_then(|at| session.recorded_id(at)),
            content.map(|_| content_id)
        );
        Some(verdict)
    }

    #[test]
    fn looked_up_ids_decide_as_strings() {
        let fixtures = [
            include_str!("../tests/fixtures/seed-session.json"),
            include_str!("../tests/fixtures/anonymous-metered.json"),
            include_str!("../tests/fixtures/meter-exhausted.json"),
            include_str!("../tests/fixtures/transforms.json"),
            include_str!("../tests/fixtures/wrong-types.json"),
        ];
        for text in fixtures {
            let session = Session::parse(text, None).expect("a fixture parses");
            let mut contents: Vec<&str> = session.recorded_ids().collect();
            contents.extend(["no-such-article", "premium", "/sport/final-score"]);
            let entitlements: Vec<Option<&str>> = std::iter::once(None)
                .chain(session.entitlements.iter().map(|e| Some(e.id.as_str())))
                .chain([Some("no-such-entitlement")])
                .collect();
            for &content_id in &contents {
                if session.strips_params() && content_id.contains(['?', '#']) {
                    continue;
                }
                for &entitlement_id in &entitlements {
                    let expected = session
                        .verdict(content_id, entitlement_id)
                        .expect("valid ids");
                    let actual = verdict_through_maps(&session, content_id, entitlement_id)
                        .expect("positions in range");
                    assert_eq!(
                        (actual.granted, actual.reason, actual.source),
                        (expected.granted, expected.reason, expected.source),
                        "{content_id} {entitlement_id:?}"
                    );
                    assert_eq!(
                        actual.entitlement.map(|e| &e.id),
                        expected.entitlement.map(|e| &e.id)
                    );
                }
            }
        }
    }

    #[test]
    fn positions_past_the_end_are_none() {
        let session = Session::parse(
            include_str!("../tests/fixtures/anonymous-metered.json"),
            None,
        )
        .expect("a fixture parses");
        let count = session.recorded_ids().count();
        assert!(count > 0);
        assert!(session.recorded_id(count - 1).is_some());
        assert_eq!(session.recorded_id(count), None);
        assert!(session
            .verdict_at(None, Some(session.entitlements.len()))
            .is_none());
        assert!(session.verdict_at(None, None).is_some());
    }
}
