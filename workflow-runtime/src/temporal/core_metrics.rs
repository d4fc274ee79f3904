//! Temporal Core's worker metrics (`temporal_workflow_task_schedule_to_start_latency`,
//! pollers, slots, sticky cache...) recorded on the
//! global OpenTelemetry meter, beside the engine's, so one exporter serves
//! both.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::metrics::Meter;
use opentelemetry::{KeyValue, Value};
use temporalio_common::telemetry::metrics::core::CustomMetricAttributes;
use temporalio_common::telemetry::metrics::{
    CoreMeter, Counter, CounterBase, Gauge, GaugeBase, GaugeF64, GaugeF64Base, Histogram, HistogramBase,
    HistogramDuration, HistogramDurationBase, HistogramF64, HistogramF64Base, MetricAttributable, MetricAttributes,
    MetricParameters, MetricValue, NewAttributes, UpDownCounter, UpDownCounterBase,
};

use crate::metrics::SECONDS;

/// Core's meter, over the global meter provider's `temporal` meter.
#[derive(Debug)]
pub(crate) struct CoreMetrics {
    meter: Meter,
}

impl CoreMetrics {
    /// Instruments made on the meter provider installed now.
    pub(crate) fn new() -> Self {
        CoreMetrics {
            meter: opentelemetry::global::meter("temporal"),
        }
    }
}

/// The attributes of Core's measurements, as OpenTelemetry's.
#[derive(Debug, Default)]
struct Labels(Vec<KeyValue>);

impl CustomMetricAttributes for Labels {
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// The labels of attributes this meter made (Core only hands back its own).
fn labels(attributes: &MetricAttributes) -> Vec<KeyValue> {
    match attributes {
        MetricAttributes::Dynamic(custom) => custom
            .clone()
            .as_any()
            .downcast::<Labels>()
            .map(|labels| labels.0.clone())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn key_value(kv: temporalio_common::telemetry::metrics::MetricKeyValue) -> KeyValue {
    let value = match kv.value {
        MetricValue::String(s) => Value::from(s),
        MetricValue::Int(i) => Value::from(i),
        MetricValue::Float(f) => Value::from(f),
        MetricValue::Bool(b) => Value::from(b),
    };
    KeyValue::new(kv.key, value)
}

/// An OpenTelemetry instrument, unbound.
struct Instrument<I>(I);

/// An instrument bound to its labels.
struct Bound<I> {
    instrument: I,
    labels: Vec<KeyValue>,
}

/// Makes `Instrument<$otel>` Core's `$base`: bound to labels, `$method`
/// records a value converted by `$convert`.
macro_rules! bridge {
    ($otel:ty, $base:ident, $method:ident($value:ty) => $record:ident($convert:expr)) => {
        impl MetricAttributable<Box<dyn $base>> for Instrument<$otel> {
            fn with_attributes(
                &self,
                attributes: &MetricAttributes,
            ) -> Result<Box<dyn $base>, Box<dyn std::error::Error>> {
                Ok(Box::new(Bound {
                    instrument: self.0.clone(),
                    labels: labels(attributes),
                }))
            }
        }

        impl $base for Bound<$otel> {
            fn $method(&self, value: $value) {
                let convert: fn($value) -> _ = $convert;
                self.instrument.$record(convert(value), &self.labels);
            }
        }
    };
}

bridge!(opentelemetry::metrics::Counter<u64>, CounterBase, adds(u64) => add(|v| v));
bridge!(opentelemetry::metrics::Histogram<u64>, HistogramBase, records(u64) => record(|v| v));
bridge!(opentelemetry::metrics::Histogram<f64>, HistogramF64Base, records(f64) => record(|v| v));
bridge!(opentelemetry::metrics::Histogram<f64>, HistogramDurationBase, records(Duration) => record(|d| d.as_secs_f64()));
bridge!(opentelemetry::metrics::Gauge<u64>, GaugeBase, records(u64) => record(|v| v));
bridge!(opentelemetry::metrics::Gauge<f64>, GaugeF64Base, records(f64) => record(|v| v));
bridge!(opentelemetry::metrics::UpDownCounter<i64>, UpDownCounterBase, adds(i64) => add(|v| v));

/// Core's `$core` instrument over the meter's `$make` one, named and
/// described as Core asks.
macro_rules! instrument {
    ($this:expr, $make:ident, $params:expr, $core:ident) => {{
        let params = $params;
        let instrument = $this
            .meter
            .$make(params.name)
            .with_description(params.description)
            .with_unit(params.unit)
            .build();
        $core::new(Arc::new(Instrument(instrument)))
    }};
}

impl CoreMeter for CoreMetrics {
    fn new_attributes(&self, attribs: NewAttributes) -> MetricAttributes {
        let labels = attribs.attributes.into_iter().map(key_value).collect();
        MetricAttributes::Dynamic(Arc::new(Labels(labels)))
    }

    fn extend_attributes(&self, existing: MetricAttributes, attribs: NewAttributes) -> MetricAttributes {
        let mut labels = labels(&existing);
        labels.extend(attribs.attributes.into_iter().map(key_value));
        MetricAttributes::Dynamic(Arc::new(Labels(labels)))
    }

    fn counter(&self, params: MetricParameters) -> Counter {
        instrument!(self, u64_counter, params, Counter)
    }

    fn histogram(&self, params: MetricParameters) -> Histogram {
        instrument!(self, u64_histogram, params, Histogram)
    }

    fn histogram_f64(&self, params: MetricParameters) -> HistogramF64 {
        instrument!(self, f64_histogram, params, HistogramF64)
    }

    fn histogram_duration(&self, params: MetricParameters) -> HistogramDuration {
        // Recorded in seconds, with the engine's own duration buckets.
        let histogram = self
            .meter
            .f64_histogram(params.name)
            .with_description(params.description)
            .with_unit("s")
            .with_boundaries(SECONDS.to_vec())
            .build();
        HistogramDuration::new(Arc::new(Instrument(histogram)))
    }

    fn gauge(&self, params: MetricParameters) -> Gauge {
        instrument!(self, u64_gauge, params, Gauge)
    }

    fn gauge_f64(&self, params: MetricParameters) -> GaugeF64 {
        instrument!(self, f64_gauge, params, GaugeF64)
    }

    fn up_down_counter(&self, params: MetricParameters) -> UpDownCounter {
        instrument!(self, i64_up_down_counter, params, UpDownCounter)
    }
}
