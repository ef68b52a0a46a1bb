//! `contract!` turns the table of topics in `events/mod.rs` into the `Topic` enum (names,
//! resources, domains, criticality, descriptions) and the `Event` enum (one variant per topic
//! holding its payload type), so the table is the only place a topic is declared.

macro_rules! contract {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $name:literal, $resource:literal, $domain:literal, $crit:expr, $ty:ty;
    )*) => {
        /// Every topic of the contract.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Topic { $($variant),* }

        impl Topic {
            pub const ALL: &'static [Topic] = &[$(Topic::$variant),*];

            /// The dotted name (`line.status_changed`).
            pub fn as_str(self) -> &'static str {
                match self { $(Topic::$variant => $name),* }
            }

            pub fn parse(s: &str) -> Option<Topic> {
                match s { $($name => Some(Topic::$variant),)* _ => None }
            }

            /// The resource the event is about: the key of the TMF688 `event` object and
            /// the outbox's aggregate type.
            pub fn resource(self) -> &'static str {
                match self { $(Topic::$variant => $resource),* }
            }

            /// The business domain (the TMF688 envelope's `domain`).
            pub fn domain(self) -> &'static str {
                match self { $(Topic::$variant => $domain),* }
            }

            pub fn criticality(self) -> Criticality {
                #[allow(unused_imports)]
                use Criticality::*;
                match self { $(Topic::$variant => $crit),* }
            }

            /// What happened, in one sentence.
            pub fn description(self) -> &'static str {
                match self { $(Topic::$variant => concat!($($doc),*).trim_ascii()),* }
            }

            /// The version of the topic's payload schema (`schemaVersion`).
            pub fn version(self) -> u32 {
                1
            }

            /// A realistic example of the topic's payload.
            pub fn example(self) -> Event {
                match self { $(Topic::$variant => Event::$variant(<$ty as Payload>::example(self))),* }
            }

            /// The root JSON Schema of the topic's payload type.
            fn root_schema(self, g: &mut schemars::SchemaGenerator) -> schemars::Schema {
                match self { $(Topic::$variant => g.root_schema_for::<$ty>()),* }
            }
        }

        impl std::fmt::Display for Topic {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// A topic with its payload: the only thing a producer can emit.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Event { $($variant($ty)),* }

        impl Event {
            pub fn topic(&self) -> Topic {
                match self { $(Event::$variant(_) => Topic::$variant),* }
            }

            pub fn facts(&self) -> &dyn Facts {
                match self { $(Event::$variant(p) => p),* }
            }

            fn to_value(&self) -> serde_json::Value {
                let v = match self { $(Event::$variant(p) => serde_json::to_value(p)),* };
                // Payloads are plain structs of strings, numbers and lists: serialising one
                // cannot fail.
                v.unwrap_or(serde_json::Value::Null)
            }

            fn from_value(topic: Topic, v: serde_json::Value) -> Result<Self, serde_json::Error> {
                match topic { $(Topic::$variant => serde_json::from_value::<$ty>(v).map(Event::$variant)),* }
            }
        }
    };
}

/// The usual `Facts` of a payload: which field is the aggregate, the line, the customer
/// (each field a `Uuid` or an `Option<Uuid>`).
macro_rules! facts {
    ($ty:ty { aggregate: $agg:ident $(, line: $line:ident)? $(, customer: $cust:ident)? }) => {
        impl $crate::events::Facts for $ty {
            fn aggregate_id(&self) -> String {
                self.$agg.to_string()
            }
            $(fn line_id(&self) -> Option<uuid::Uuid> {
                self.$line.into()
            })?
            $(fn customer_id(&self) -> Option<uuid::Uuid> {
                self.$cust.into()
            })?
        }
    };
}
