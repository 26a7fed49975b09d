use leptos::prelude::*;

use crate::PageTitle;
use crate::backend::{Viewer, load_viewer};
use crate::components::OdsCodeCheck;

/// Where the start page's button leads a viewer, and what it says: the request form for a
/// Local Administrator (or anyone not signed in, who is asked to sign in on the way), and for
/// the two roles that make no requests, the page of their own work rather than a refusal.
fn start_button(viewer: Option<&Viewer>) -> (&'static str, &'static str) {
    match viewer {
        Some(viewer) if viewer.is_desk_admin() => ("/accounts", "Manage accounts"),
        Some(viewer) if viewer.is_reviewer() => ("/review", "Go to the review queue"),
        _ => ("/register", "Start now"),
    }
}

/// The start page: who the service is for and what to have ready.
#[component]
pub fn StartPage() -> impl IntoView {
    let viewer = Resource::new_blocking(|| (), |_| load_viewer());
    let button = move || {
        Suspend::new(async move {
            let viewer = viewer.await.ok().flatten();
            let (href, text) = start_button(viewer.as_ref());
            view! {
                <a class="nhsuk-button nhsuk-button--login" href=href role="button" draggable="false" data-module="nhsuk-button">
                    {text}
                </a>
            }
        })
    };
    view! {
        <PageTitle text="Register an application to use NHSmail" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <h1>"Register an application to use NHSmail"</h1>
                <p class="nhsuk-lede-text">
                    "Use this service to ask for an application to be allowed to sign in to NHSmail with OAuth 2.0, "
                    "for example to read a shared mailbox over IMAP or to send mail through Microsoft Graph."
                </p>
                <h2 id="who-can-use">"Who can use this service"</h2>
                <p>
                    "This service is for Local Administrators of organisations that use NHSmail. "
                    "You can only ask for applications for your own organisation, and only for mailboxes it owns."
                </p>
                <p>
                    "If you are a supplier, ask the Local Administrator of the NHS organisation you work with to make the request."
                </p>
                <h2 id="before-you-start">"Before you start"</h2>
                <p>"You will need:"</p>
                <ul class="nhsuk-list nhsuk-list--bullet">
                    <li>"your organisation's ODS code (for example RX1 for a trust, or A81001 for a GP practice)"</li>
                    <li>"the application's name, what it does, and who supplies it"</li>
                    <li>
                        "whether a person signs in to the application (delegated access) or it works on its own "
                        "(application access), and the Microsoft Graph or Exchange Online permissions it needs"
                    </li>
                    <li>"the NHSmail mailboxes the application will use, which must belong to your organisation"</li>
                    <li>"the redirect URIs the application uses when someone signs in, and any token endpoint URIs"</li>
                    <li>
                        "for certificate sign-in, the application's public certificate as a .cer, .crt or .pem file "
                        "(never the private key or a .pfx file)"
                    </li>
                    <li>"the name and email address of someone who will look after the application"</li>
                </ul>
                <div class="nhsuk-inset-text">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>
                        "Certificates and client secrets expire. NHSmail reminds the contacts 60, 45, 30, 14 and 7 days "
                        "before expiry, so give a contact whose mailbox is read."
                    </p>
                </div>
                <Suspense fallback=|| ()>{button}</Suspense>
                <OdsCodeCheck />
                <h2 id="about-this-service">"What happens next"</h2>
                <p>
                    "Your request is checked as you fill it in. When you submit it, a reviewer looks at it and approves it, "
                    "rejects it, or asks you to change something. You can see its status at any time."
                </p>
                <h2 id="data-sources">"Data sources"</h2>
                <p>
                    "Organisation details come from the NHS England Organisation Data Service (ODS), "
                    "licensed under the Open Government Licence v3.0. Permission names come from the published "
                    "Microsoft Graph and Exchange Online service principals."
                </p>
            </div>
        </div>
    }
}
