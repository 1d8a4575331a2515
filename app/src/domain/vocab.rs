//! [`labelled_enum!`]: one definition for the product's closed lists (care
//! types, statuses, event names…): a Rust enum with its stored value and
//! label, `ALL`, `as_str`, `parse`, serde as the stored value, and (on the
//! server) the PostgreSQL enum it maps to.

/// `labelled_enum!(/// docs\n Name, "pg_type", [Variant = "value": "Label", …]);`
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident, $pg:literal, [$($variant:ident = $value:literal : $label:literal),+ $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[cfg_attr(feature = "ssr", sqlx(type_name = $pg))]
        pub enum $name {
            $(
                #[serde(rename = $value)]
                #[cfg_attr(feature = "ssr", sqlx(rename = $value))]
                $variant
            ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The database, form and API value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }

            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }

            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

    };
}

pub(crate) use labelled_enum;
