//! Format version 2's header: the same CBOR map as version 1, except each device's format lists
//! (`devices[i].formats`), which dominate a header (the test-bed's vicodec nodes list 29 formats
//! each):
//! * a `QueueFormats` is `[buf_type, [[fourcc, description, flags], …]]` instead of maps;
//! * a device whose whole list equals an earlier device's has the index of that device instead.
//!
//! [`compact`] makes that form from a header's value, [`expand`] turns it back into the map the
//! [`Header`](crate::record::Header) deserializer reads, refusing to expand past
//! [`MAX_FORMATS`] format entries (a few bytes of references must not become gigabytes).

use ciborium::Value;

/// Format entries a header may expand to, in all devices together.
pub const MAX_FORMATS: usize = 1 << 16;

fn key<'a>(map: &'a [(Value, Value)], name: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
}

fn key_mut<'a>(map: &'a mut [(Value, Value)], name: &str) -> Option<&'a mut Value> {
    map.iter_mut()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
}

/// A map's values for `names`, in that order, as an array (`Null` for a missing one).
fn positional(map: &[(Value, Value)], names: &[&str]) -> Value {
    Value::Array(
        names
            .iter()
            .map(|n| key(map, n).cloned().unwrap_or(Value::Null))
            .collect(),
    )
}

const QUEUE: [&str; 2] = ["buf_type", "formats"];
const FORMAT: [&str; 3] = ["fourcc", "description", "flags"];

/// The version-2 form of a header's value (see the module doc).
pub fn compact(mut header: Value) -> Value {
    let Some(devices) = header
        .as_map_mut()
        .and_then(|m| key_mut(m, "devices"))
        .and_then(Value::as_array_mut)
    else {
        return header;
    };
    let mut seen: Vec<Value> = Vec::new();
    for (i, device) in devices.iter_mut().enumerate() {
        let Some(formats) = device.as_map_mut().and_then(|m| key_mut(m, "formats")) else {
            seen.push(Value::Null);
            continue;
        };
        let queues = formats.as_array().cloned().unwrap_or_default();
        let list = Value::Array(
            queues
                .iter()
                .filter_map(Value::as_map)
                .map(|q| {
                    let fmts = key(q, "formats")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let fmts = fmts
                        .iter()
                        .filter_map(Value::as_map)
                        .map(|f| positional(f, &FORMAT))
                        .collect();
                    Value::Array(vec![
                        key(q, QUEUE[0]).cloned().unwrap_or(Value::Null),
                        Value::Array(fmts),
                    ])
                })
                .collect(),
        );
        *formats = match seen.iter().position(|s| *s == list) {
            Some(j) => Value::Integer(j.into()),
            None => list.clone(),
        };
        seen.push(list);
        debug_assert_eq!(seen.len(), i + 1);
    }
    header
}

fn named(names: &[&str], values: Vec<Value>, what: &str) -> Result<Value, String> {
    if values.len() != names.len() {
        return Err(format!(
            "a {what} has {} fields instead of {}",
            values.len(),
            names.len()
        ));
    }
    Ok(Value::Map(
        names
            .iter()
            .map(|n| Value::Text(n.to_string()))
            .zip(values)
            .collect(),
    ))
}

/// The version-1 form of a version-2 header's value, or what is wrong with it.
pub fn expand(mut header: Value) -> Result<Value, String> {
    let Some(devices) = header
        .as_map_mut()
        .and_then(|m| key_mut(m, "devices"))
        .and_then(Value::as_array_mut)
    else {
        return Ok(header);
    };
    let mut expanded: Vec<Value> = Vec::new();
    let mut total = 0usize;
    for (i, device) in devices.iter_mut().enumerate() {
        let Some(formats) = device.as_map_mut().and_then(|m| key_mut(m, "formats")) else {
            expanded.push(Value::Array(Vec::new()));
            continue;
        };
        let list = match std::mem::replace(formats, Value::Null) {
            Value::Integer(j) => {
                let j = usize::try_from(i128::from(j))
                    .ok()
                    .filter(|&j| j < i)
                    .ok_or_else(|| {
                        format!(
                            "device {i}'s formats refer to device {}, which is not an earlier one",
                            i128::from(j)
                        )
                    })?;
                expanded[j].clone()
            }
            Value::Array(queues) => {
                let mut out = Vec::with_capacity(queues.len());
                for q in queues {
                    let Value::Array(mut q) = q else {
                        return Err(format!("device {i}: a format list is not an array"));
                    };
                    if let Some(Value::Array(fmts)) = q.get_mut(1) {
                        let mut maps = Vec::with_capacity(fmts.len());
                        for f in std::mem::take(fmts) {
                            let Value::Array(f) = f else {
                                return Err(format!("device {i}: a format is not an array"));
                            };
                            maps.push(named(&FORMAT, f, "format")?);
                        }
                        *fmts = maps;
                    }
                    out.push(named(&QUEUE, q, "format list")?);
                }
                Value::Array(out)
            }
            _ => {
                return Err(format!(
                    "device {i}'s formats are neither a list nor a device index"
                ))
            }
        };
        total += list.as_array().map_or(0, |qs| {
            qs.iter()
                .filter_map(Value::as_map)
                .filter_map(|q| key(q, "formats")?.as_array())
                .map(Vec::len)
                .sum()
        });
        if total > MAX_FORMATS {
            return Err(format!(
                "the devices' format lists expand to more than {MAX_FORMATS} formats"
            ));
        }
        *formats = list.clone();
        expanded.push(list);
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{DeviceInfo, DeviceKind, FormatDesc, Header, QueueFormats};

    fn device(path: &str, formats: Vec<QueueFormats>) -> DeviceInfo {
        DeviceInfo {
            path: path.into(),
            kind: DeviceKind::Video,
            rdev: None,
            driver: "vicodec".into(),
            card: "vicodec".into(),
            bus_info: "platform:vicodec".into(),
            version: 0,
            capabilities: 1,
            device_caps: 2,
            formats,
            media: None,
        }
    }

    fn header() -> Header {
        let fmts = |n: u32| {
            vec![QueueFormats {
                buf_type: 10,
                formats: (0..n)
                    .map(|i| FormatDesc {
                        fourcc: 0x3231_564e + i,
                        description: format!("format {i}"),
                        flags: i,
                    })
                    .collect(),
            }]
        };
        let mut h = Header::new();
        h.devices = vec![
            device("/dev/video0", fmts(29)),
            device("/dev/video1", fmts(29)),
            device("/dev/video2", vec![]),
            device("/dev/video3", fmts(3)),
            device("/dev/video4", fmts(29)),
        ];
        h
    }

    #[test]
    fn round_trip_and_shared_lists() {
        let h = header();
        let v1 = Value::serialized(&h).unwrap();
        let v2 = compact(v1.clone());
        let mut a = Vec::new();
        let mut b = Vec::new();
        ciborium::into_writer(&v1, &mut a).unwrap();
        ciborium::into_writer(&v2, &mut b).unwrap();
        assert!(
            b.len() * 3 < a.len(),
            "{} bytes compact, {} plain",
            b.len(),
            a.len()
        );
        let back: Header = expand(v2).unwrap().deserialized().unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn bad_references_are_errors() {
        let v2 = compact(Value::serialized(&header()).unwrap());
        let mut forward = v2.clone();
        let devices = forward
            .as_map_mut()
            .and_then(|m| key_mut(m, "devices"))
            .and_then(Value::as_array_mut)
            .unwrap();
        *devices[0]
            .as_map_mut()
            .and_then(|m| key_mut(m, "formats"))
            .unwrap() = Value::Integer(3.into());
        assert!(expand(forward).unwrap_err().contains("not an earlier one"));
    }

    #[test]
    fn expansion_is_bounded() {
        let mut h = header();
        let one = &h.devices[0].formats[0].formats;
        let big: Vec<_> = one.iter().cycle().take(MAX_FORMATS / 4).cloned().collect();
        h.devices[0].formats[0].formats = big;
        let d = h.devices[0].clone();
        h.devices = vec![d; 8];
        let v2 = compact(Value::serialized(&h).unwrap());
        assert!(expand(v2).unwrap_err().contains("more than"));
    }
}
