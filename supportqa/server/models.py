"""No models. The app's migrations make the configuration's stamp (supportqa.configured), a
table without a model; this module has Django send the app its post_migrate signal, after
which the stamp's missing triggers are installed again."""
