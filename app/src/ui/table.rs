//! The one data table: a scrollable region that keyboard and screen-reader
//! users can reach and that is named (by a label or a heading), around a
//! `table.table` with a row of column headings. Pages pass the headings and
//! the rows; the markup the Playwright suite and the HTTP tests select on
//! (classes, role, `aria-*`, `data-testid`) is written here only.

use leptos::prelude::*;

/// A column heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    heading: &'static str,
    /// Left out (a column only some roles get).
    omitted: bool,
    /// Read to screen readers only (a column of buttons needs no visible
    /// heading, but still needs a name).
    visually_hidden: bool,
}

impl Column {
    /// A column present only when `shown`.
    pub fn when(shown: bool, heading: &'static str) -> Self {
        Self {
            omitted: !shown,
            ..Self::from(heading)
        }
    }

    /// A column whose heading only screen readers announce.
    pub fn visually_hidden(heading: &'static str) -> Self {
        Self {
            visually_hidden: true,
            ..Self::from(heading)
        }
    }
}

impl From<&'static str> for Column {
    fn from(heading: &'static str) -> Self {
        Self {
            heading,
            omitted: false,
            visually_hidden: false,
        }
    }
}

/// The column headings of a [`DataTable`], from an array of headings
/// (`["Name", "Email"]`) or of [`Column`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(Vec<Column>);

impl<C: Into<Column>, const N: usize> From<[C; N]> for Columns {
    fn from(columns: [C; N]) -> Self {
        Self(columns.into_iter().map(Into::into).collect())
    }
}

/// A table of rows (`children`, the `<tr>`s) under `columns`, in a focusable
/// scrolling region named by `label` or by the heading whose id is
/// `labelledby`.
#[component]
pub fn DataTable(
    #[prop(into)] columns: Columns,
    /// The region's name, when no heading on the page names it.
    #[prop(optional)]
    label: Option<&'static str>,
    /// The id of the heading that names the region.
    #[prop(optional)]
    labelledby: Option<&'static str>,
    /// The table's `data-testid`.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// Tighter rows (`table--compact`), for long logs.
    #[prop(optional)]
    compact: bool,
    children: Children,
) -> impl IntoView {
    let class = if compact {
        "table table--compact"
    } else {
        "table"
    };
    let headings = columns
        .0
        .into_iter()
        .filter(|c| !c.omitted)
        .map(|c| {
            if c.visually_hidden {
                view! {
                    <th scope="col">
                        <span class="visually-hidden">{c.heading}</span>
                    </th>
                }
                .into_any()
            } else {
                view! { <th scope="col">{c.heading}</th> }.into_any()
            }
        })
        .collect_view();
    view! {
        <div
            class="table-scroll"
            tabindex="0"
            role="region"
            aria-label=label
            aria-labelledby=labelledby
        >
            <table class=class data-testid=testid>
                <thead>
                    <tr>{headings}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// The server-rendered HTML, without hydration markers.
    fn html(view: impl FnOnce() -> AnyView) -> String {
        let owner = Owner::new();
        owner.with(|| view().to_html()).replace("<!>", "")
    }

    /// The opening tag of the first `<name ...>` element.
    fn tag<'a>(html: &'a str, name: &str) -> &'a str {
        let start = html
            .find(&format!("<{name} "))
            .unwrap_or_else(|| panic!("no <{name}> in {html}"));
        let end = html[start..]
            .find('>')
            .unwrap_or_else(|| panic!("<{name} is not closed"));
        &html[start..start + end]
    }

    #[test]
    fn renders_the_markup_the_tests_select_on() {
        let html = html(|| {
            view! {
                <DataTable
                    label="Live keys"
                    testid="live-keys"
                    columns=[
                        Column::from("Name"),
                        Column::when(false, "Organization"),
                        Column::visually_hidden("Revoke"),
                    ]
                >
                    <tr>
                        <td>"row"</td>
                    </tr>
                </DataTable>
            }
            .into_any()
        });
        let region = tag(&html, "div");
        for attribute in [
            r#"class="table-scroll""#,
            r#"tabindex="0""#,
            r#"role="region""#,
            r#"aria-label="Live keys""#,
        ] {
            assert!(region.contains(attribute), "{region}");
        }
        assert!(!region.contains("aria-labelledby"), "{region}");
        let table = tag(&html, "table");
        assert!(table.contains(r#"class="table""#), "{table}");
        assert!(table.contains(r#"data-testid="live-keys""#), "{table}");
        assert!(html.contains(
            r#"<thead><tr><th scope="col">Name</th><th scope="col"><span class="visually-hidden">Revoke</span></th></tr></thead><tbody><tr><td>row</td></tr></tbody>"#
        ), "{html}");
        assert!(!html.contains("Organization"), "{html}");
    }

    #[test]
    fn a_heading_can_name_the_region() {
        let html = html(|| {
            view! {
                <DataTable labelledby="subs-heading" compact=true columns=["Vendor"]>
                    <tr></tr>
                </DataTable>
            }
            .into_any()
        });
        let region = tag(&html, "div");
        assert!(
            region.contains(r#"aria-labelledby="subs-heading""#),
            "{region}"
        );
        assert!(!region.contains("aria-label="), "{region}");
        let table = tag(&html, "table");
        assert!(table.contains(r#"class="table table--compact""#), "{table}");
        assert!(!table.contains("data-testid"), "{table}");
    }
}
