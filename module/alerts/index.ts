/** Alerts that reach people: e-mail and webhook, once per event, remembered across restarts. */
export { AlertNotifier, type AlertNotifierOptions } from './notifier.js';
export { createEmailSender, createWebhookSender, webhookPayload, AlertDeliveryError, type AlertSender, type EmailOptions, type WebhookOptions } from './channels.js';
export { detectAlerts, CONNECTION_FAILURES_TO_ALERT, EMPTY_MEMORY } from './detect.js';
export { registerAlertMetrics } from './metrics.js';
