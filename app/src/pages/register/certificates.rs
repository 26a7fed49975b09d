//! Certificate upload: what each kept certificate is (with copyable thumbprints), and a preview
//! of a chosen file in the browser before it is uploaded.

use leptos::prelude::*;
use registration::draft::fields::names;
use registration::{CertificateSummary, Finding, Severity};

use super::fields::{ActionButton, FieldMessages};
use super::state::FormState;
use crate::components::day_text;

/// What the browser found in a chosen file: its name, the findings and, if it is one, the certificate.
type Preview = (String, Vec<Finding>, Option<CertificateSummary>);

/// A value with a copy button (the button appears once the page has hydrated).
#[component]
fn Copyable(#[prop(into)] label: String, #[prop(into)] value: String) -> AnyView {
    let state = expect_context::<FormState>();
    let copied = RwSignal::new(false);
    let text = value.clone();
    view! {
        <span class="appreg-thumbprint">{value}</span>
        <Show when=move || state.hydrated.get()>
            {
                let text = text.clone();
                let label = label.clone();
                view! {
                    " "
                    <button
                        type="button"
                        class="nhsuk-button nhsuk-button--secondary nhsuk-button--small appreg-copy"
                        on:click=move |_| {
                            copy_to_clipboard(&text);
                            copied.set(true);
                        }
                    >
                        {move || if copied.get() { "Copied" } else { "Copy" }}
                        <span class="nhsuk-u-visually-hidden">{format!(" {label}")}</span>
                    </button>
                }
            }
        </Show>
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_text: &str) {}

fn days_left(days: i64) -> String {
    match days {
        d if d < 0 => format!("expired {} days ago", -d),
        0 => "expires today".to_string(),
        1 => "1 day left".to_string(),
        d => format!("{d} days left"),
    }
}

/// What one certificate is, as an NHS.UK summary list.
#[component]
pub fn CertificateDetails(summary: CertificateSummary, #[prop(into)] file_name: String) -> AnyView {
    let row = |key: &'static str, value: AnyView| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{key}</dt>
                <dd class="nhsuk-summary-list__value">{value}</dd>
            </div>
        }
    };
    view! {
        <dl class="nhsuk-summary-list appreg-certificate">
            {row("File", file_name.into_any())}
            {row("Subject", summary.subject.clone().into_any())}
            {row("Issuer", summary.issuer.clone().into_any())}
            {row("Valid from", day_text(summary.not_before).into_any())}
            {row("Valid until", format!("{} ({})", day_text(summary.not_after), days_left(summary.days_remaining)).into_any())}
            {row("Key", summary.key.clone().into_any())}
            {row("Signature", summary.signature_algorithm.clone().into_any())}
            {row("SHA-1 thumbprint", view! { <Copyable label="SHA-1 thumbprint" value=summary.sha1_thumbprint.clone() /> }.into_any())}
            {row("SHA-256 thumbprint", view! { <Copyable label="SHA-256 thumbprint" value=summary.sha256_thumbprint.clone() /> }.into_any())}
            {row("x5t", view! { <Copyable label="x5t" value=summary.x5t.clone() /> }.into_any())}
            {row("x5t#S256", view! { <Copyable label="x5t#S256" value=summary.x5t_s256.clone() /> }.into_any())}
        </dl>
    }
    .into_any()
}

/// The Certificate section.
#[component]
pub fn Certificates(refused: Option<Finding>) -> AnyView {
    let state = expect_context::<FormState>();
    let kept = state.draft.with_untracked(|d| d.certificates.clone());
    let preview: RwSignal<Option<Preview>> = RwSignal::new(None);
    let has_error = move || {
        state.has_error("certificates")
            || preview.with(|p| {
                p.as_ref()
                    .is_some_and(|(_, f, _)| f.iter().any(|f| f.severity == Severity::Error))
            })
    };
    view! {
        <section class="appreg-section" id="certificates" tabindex="-1">
            <h2 id="certificates-heading">"Certificate"</h2>
            {kept.into_iter().enumerate().map(|(index, upload)| {
                let path = format!("certificates[{index}]");
                let summary = {
                    let path = path.clone();
                    move || state.certificates.with(|all| all.iter().find(|c| c.path == path).cloned())
                };
                let file_name = upload.file_name.clone();
                view! {
                    <div class="nhsuk-card appreg-kept-certificate" id=format!("certificates-{index}") tabindex="-1">
                        <div class="nhsuk-card__content">
                            <h3 class="nhsuk-card__heading nhsuk-heading-s">{format!("Uploaded: {}", upload.file_name)}</h3>
                            <FieldMessages path=path.clone() />
                            {move || summary().map(|summary| view! { <CertificateDetails summary file_name=file_name.clone() /> })}
                            <ActionButton action=format!("remove:certificates:{index}") secondary=true small=true>
                                "Remove"<span class="nhsuk-u-visually-hidden">{format!(" certificate {}", upload.file_name)}</span>
                            </ActionButton>
                        </div>
                    </div>
                }
            }).collect_view()}
            <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
                <label class="nhsuk-label" for="certificate">"Certificate"</label>
                <div class="nhsuk-hint" id="certificate-hint">
                    "Optional for delegated access. The application's public certificate as a .cer, .crt or .pem file, for certificate sign-in. "
                    "Never upload the private key or a .pfx file. A browser cannot keep a chosen file when the page reloads, "
                    "so the certificate is kept with your draft once you press any button below."
                </div>
                {refused.map(|finding| view! {
                    <span class="nhsuk-error-message" id="certificate-error">
                        <span class="appreg-finding" data-code=finding.code.code()>
                            <span class="nhsuk-u-visually-hidden">"Error: "</span>
                            {finding.message}
                            <span class="appreg-finding__hint">{finding.hint}</span>
                        </span>
                    </span>
                })}
                <FieldMessages path="certificates" />
                <input
                    class="nhsuk-file-upload"
                    id="certificate"
                    name=names::CERTIFICATE
                    type="file"
                    accept=".cer,.crt,.pem,.der"
                    aria-describedby="certificate-hint"
                    on:change=move |event| preview_upload(event, preview)
                />
                {move || preview.get().map(|(file_name, findings, summary)| view! {
                    <div class="appreg-preview" id="certificate-preview">
                        <h3 class="nhsuk-heading-s">{format!("{file_name}: what this file is")}</h3>
                        {findings.into_iter().map(|f| {
                            let error = f.severity == Severity::Error;
                            view! {
                                <p class=if error { "nhsuk-error-message" } else { "appreg-warning-message" } data-code=f.code.code()>
                                    <strong>{if error { "Error: " } else { "Warning: " }}</strong>
                                    {f.message}
                                    <span class="appreg-finding__hint">{f.hint}</span>
                                </p>
                            }
                        }).collect_view()}
                        {summary.map(|summary| view! { <CertificateDetails summary file_name=file_name.clone() /> })}
                    </div>
                })}
            </div>
        </section>
    }
    .into_any()
}

/// Reads the chosen file in the browser and shows what it is. A file holding a private key is
/// taken out of the form at once, so its bytes are never sent.
#[cfg(feature = "hydrate")]
fn preview_upload(event: leptos::ev::Event, preview: RwSignal<Option<Preview>>) {
    use base64::Engine;
    use web_sys::wasm_bindgen::JsCast;

    let Some(input) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        preview.set(None);
        return;
    };
    let state = expect_context::<FormState>();
    let now = state.now();
    leptos::task::spawn_local(async move {
        let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
            return;
        };
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        let upload = registration::CertificateUpload {
            file_name: file.name(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        };
        let mut findings = Vec::new();
        let summaries = registration::rules::certificate::check(
            std::slice::from_ref(&upload),
            now,
            &mut findings,
        );
        if registration::rules::certificate::RefusedUpload::of(&findings).is_some() {
            input.set_value("");
        }
        preview.set(Some((file.name(), findings, summaries.into_iter().next())));
    });
}

#[cfg(not(feature = "hydrate"))]
fn preview_upload(_event: leptos::ev::Event, _preview: RwSignal<Option<Preview>>) {}
