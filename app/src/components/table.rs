//! The NHS.UK table, the same on every page: a caption for screen readers (or shown as a small
//! heading), one header row, and the body rows a page passes in.

use leptos::prelude::*;

/// An NHS.UK table whose body rows are its children (`<tr class="nhsuk-table__row">…`).
#[component]
pub fn Table(
    /// The table's id (pages and tests find it by it).
    #[prop(optional, into)]
    id: Option<String>,
    /// What the table lists, for screen readers.
    #[prop(into)]
    caption: String,
    /// Show the caption as a small heading instead of hiding it visually.
    #[prop(optional)]
    caption_shown: bool,
    /// The column headers, in order.
    headers: Vec<Header>,
    /// The body rows.
    children: Children,
) -> impl IntoView {
    let caption_class = if caption_shown {
        "nhsuk-table__caption nhsuk-table__caption--s"
    } else {
        "nhsuk-table__caption nhsuk-u-visually-hidden"
    };
    view! {
        <table class="nhsuk-table" id=id>
            <caption class=caption_class>{caption}</caption>
            <thead class="nhsuk-table__head">
                <tr class="nhsuk-table__row">
                    {headers.into_iter().map(|Header { text, hidden }| view! {
                        <th scope="col" class="nhsuk-table__header">
                            {if hidden {
                                view! { <span class="nhsuk-u-visually-hidden">{text}</span> }.into_any()
                            } else {
                                text.into_any()
                            }}
                        </th>
                    }).collect_view()}
                </tr>
            </thead>
            <tbody class="nhsuk-table__body">{children()}</tbody>
        </table>
    }
}

/// A column header: its words, shown or only for screen readers (a column of buttons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    text: String,
    hidden: bool,
}

impl Header {
    /// A header people see.
    pub fn shown(text: impl Into<String>) -> Header {
        Header {
            text: text.into(),
            hidden: false,
        }
    }

    /// A header only screen readers announce.
    pub fn hidden(text: impl Into<String>) -> Header {
        Header {
            text: text.into(),
            hidden: true,
        }
    }
}

/// Shown column headers from their words.
pub fn headers<const N: usize>(words: [&str; N]) -> Vec<Header> {
    words.into_iter().map(Header::shown).collect()
}
