//! Text inside a `<textarea>`, safe on the server's page.
//!
//! Leptos 0.8 (tachys 0.2) writes a `<textarea>`'s children into server-rendered HTML without
//! escaping them, as it does for `<script>` and `<style>`; but a textarea's text is HTML
//! (RCDATA): a `</textarea>` in what someone typed would end the element and the rest would be
//! read as markup. So the server's page gets the text escaped, and the browser decodes it back
//! into exactly what was typed. In the browser, a text node is created (or, when hydrating,
//! taken over) with the plain text: nothing is parsed there.

/// `text` as the children of a `<textarea>` (escaped for the server's HTML only).
pub fn textarea_text(text: String) -> String {
    #[cfg(feature = "ssr")]
    {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    #[cfg(not(feature = "ssr"))]
    {
        text
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::textarea_text;

    #[test]
    fn what_is_typed_cannot_end_the_textarea_on_the_servers_page() {
        assert_eq!(
            textarea_text("a & b </textarea><b>x</b>".to_string()),
            "a &amp; b &lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;"
        );
    }
}
