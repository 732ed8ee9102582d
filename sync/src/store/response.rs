//! A response document read back with the questionnaire version it was started on and the
//! server's rejections of this phone's ops on it.

use super::docs::load_doc;
use super::{questionnaires, Store};
use crate::error::Result;
use crate::responses::RejectedOp;
use sachhon_shared::questionnaire::meta;
use sachhon_shared::records::DocFields;
use sachhon_shared::schema;
use sachhon_shared::{Doc, Publication, QuestionnaireId, RecordKind, ResponseId};

impl Store {
    /// A response document with the questionnaire version it was started on (when held) and
    /// the server's rejections of this phone's ops on it; `None` when the replica does not
    /// hold the response.
    pub async fn response(&self, id: ResponseId) -> Result<Option<StoredResponse>> {
        let mut tx = self.pool.begin().await?;
        let Some(doc) = load_doc(&mut tx, RecordKind::Response, id.0)
            .await?
            .filter(|doc| !doc.is_empty())
        else {
            return Ok(None);
        };
        let publication = match response_version(&doc) {
            Some((questionnaire, version)) => {
                questionnaires::publication(&mut tx, questionnaire, version).await?
            }
            None => None,
        };
        let rejected = questionnaires::rejections_of(&mut tx, id.0).await?;
        tx.commit().await?;
        Ok(Some(StoredResponse {
            doc,
            publication,
            rejected,
        }))
    }
}

/// A response as the replica holds it.
#[derive(Clone, Debug)]
pub(crate) struct StoredResponse {
    /// The merged document.
    pub doc: Doc,
    /// The questionnaire version it was started on, when the replica holds it.
    pub publication: Option<Publication>,
    /// The server's rejections of this phone's ops on it.
    pub rejected: Vec<RejectedOp>,
}

/// The questionnaire and version a response document was started on.
pub(crate) fn response_version(doc: &Doc) -> Option<(QuestionnaireId, u64)> {
    let questionnaire = doc.id(schema::response::QUESTIONNAIRE)?;
    let version = doc.value(meta::VERSION)?.as_u64()?;
    Some((questionnaire.into(), version))
}
