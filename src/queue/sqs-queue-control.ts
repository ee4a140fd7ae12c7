import {
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { failureReasonAttribute, type QueueControl, type ReceivedMessage } from './queue-types.ts';

export interface SqsQueueControlOptions {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
}

/** The consumer's requeue, retry and dead-letter actions, on real SQS queues. */
export function sqsQueueControl({
  sqs,
  queueUrl,
  deadLetterQueueUrl,
}: SqsQueueControlOptions): QueueControl {
  return {
    async requeue(body, delaySeconds) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          DelaySeconds: delaySeconds,
        }),
      );
    },
    async retryLater(message: ReceivedMessage, delaySeconds: number) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.receiptHandle,
          VisibilityTimeout: delaySeconds,
        }),
      );
    },
    async deadLetter(message: ReceivedMessage, reason: string) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: message.body,
          MessageAttributes: {
            [failureReasonAttribute]: { DataType: 'String', StringValue: reason },
          },
        }),
      );
    },
  };
}
